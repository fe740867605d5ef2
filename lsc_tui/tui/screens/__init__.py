"""The app's screens: dashboard, new task, models, history, help and error modal."""
