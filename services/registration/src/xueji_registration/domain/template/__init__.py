"""The import templates' rules, pure (no file handling: that is `adapters.excel`).

- `labels`: the code tables with their Chinese names, as the drop-down lists show them.
- `columns`: the columns of each template (header in the manual's words, form field, kind, required).
- `cells`: one cell's value -> the form value, or the reason it is refused.
- `rows`: one data row -> the form and identity it holds, or every reason it is refused.
- `batch`: a chunk of rows checked column by column (each distinct value once), as `rows` would.
"""
