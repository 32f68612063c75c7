"""Excel files: reading an upload (python-calamine, streamed a slice at a time, hostile shapes
refused), writing templates, exports and failed-rows workbooks (openpyxl); generated workbooks for
tests and the benchmark (`samples`, `hostile`). The rules of a cell or a row are `domain.template`'s.

- `reader`: the uploaded file -> whole-file checks -> header check -> chunks of rows.
- `chunks`: a large sheet read a slice at a time (bounded memory).
- `writer`: templates, exports and failed-rows workbooks.
"""
