"""The SOP catalogue: the document model and its YAML format, the checks of a revision, the revisions and their
approval, the document store (the revision in force, parsed once per content hash), the rendered document and
flowchart, and the editor's tables."""
