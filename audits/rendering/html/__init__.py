"""Views -> HTML: the Jinja2 pages and the SVG charts they show."""
