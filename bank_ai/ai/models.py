# The AI core's tables (knowledge chunks, intents, audit) arrive with the AI-core issue; the
# pgvector extension they need is created by this app's first migration.
