"""Drafts: every text a run prepares for approval, revision by revision, rendered from templates."""
