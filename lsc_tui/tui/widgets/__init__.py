"""Dashboard widgets, each owning one pane of the run view."""
