"""Excel templates, the import reader and the failed-rows workbook (学籍导入模板, 学前调档模板).

- `labels`: the code tables with their Chinese names, as the drop-down lists show them.
- `columns`: the columns of each template (header in the manual's words, form field, kind, required).
- `cells`: one cell's text → the form value, or the reason it is refused (pure).
- `reader`: the uploaded file → header check → rows of cell values (python-calamine, streaming).
- `writer`: templates, exports and failed-rows workbooks (openpyxl).
"""
