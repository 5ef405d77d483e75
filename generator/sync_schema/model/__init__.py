"""The model stage: from the IR to every name, annotation and template context of the tree."""
