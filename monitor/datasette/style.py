"""Stylesheet for the claimwatch views, served from ``/-/claimwatch/claimwatch.css``.

Kept as a Python constant so it ships with the package without extra package-data rules,
and served from our own origin so a strict ``style-src 'self'`` policy allows it.
"""

CSS = """
.cw-chip { display: inline-block; padding: 0 .45em; margin: 0 .15em .15em 0; border-radius: .8em;
  background: #e8eef7; border: 1px solid #b9c8de; font-size: .85em; white-space: nowrap; }
.cw-chip.cw-empty { background: #f3f3f3; border-color: #ddd; }
.cw-claim-item + .cw-claim-item { margin-top: .4em; }
.cw-sentence { color: #555; font-size: .85em; }
del { background: #fdd; color: #900; text-decoration: line-through; }
ins { background: #dfd; color: #060; text-decoration: none; }
.cw-text { white-space: pre-wrap; max-height: 32em; overflow: auto; padding: .5em; border: 1px solid #ddd;
  background: #fcfcfc; font-size: .9em; line-height: 1.45; }
.cw-side-by-side { display: flex; gap: 1em; }
.cw-side { flex: 1 1 0; min-width: 0; }
.cw-side .cw-text { max-height: none; }
mark.cw-removed { background: #fbb; }
mark.cw-changed { background: #fe9; }
mark.cw-added { background: #bfb; }
mark.cw-same { background: #e4ecf7; }
.cw-badge { display: inline-block; padding: 0 .4em; border-radius: .3em; background: #eee; font-size: .85em; }
.cw-sev-high .cw-badge:first-of-type, .cw-badge.cw-sev-high { background: #c00; color: #fff; }
.cw-sev-medium .cw-badge:first-of-type, .cw-badge.cw-sev-medium { background: #e90; color: #fff; }
.cw-differences { border-collapse: collapse; margin: .5em 0 1em; }
.cw-differences th, .cw-differences td { border: 1px solid #ddd; padding: .3em .5em; vertical-align: top; text-align: left; }
.cw-changes li { margin-bottom: .5em; }
.cw-inline-diff { font-size: .9em; margin-top: .2em; }
.cw-meta { color: #444; }
.cw-summary { font-size: 1.15em; }
.cw-links { font-size: .85em; }
.cw-says { border-collapse: collapse; }
.cw-says td { border-top: 1px solid #e4e4e4; padding: .2em .4em .2em 0; vertical-align: top; }
.cw-says-head, .cw-more { color: #666; font-size: .85em; }
"""
