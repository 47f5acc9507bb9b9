# The staff assistant's conversations and feedback arrive with the knowledge issue.
