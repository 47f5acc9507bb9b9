"""The avatar video studio: what a video is (``spec``) and how it is rendered (``render``).

Studio models, workflow and publishing live beside these in the ``content`` app.
"""
