"""Default Jinja2 templates shipped with the package (copied by `automation init`)."""
