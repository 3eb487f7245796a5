"""View models: a Scorecard, Portfolio or review -> the values the templates and workbooks show."""
