"""Views -> XLSX workbooks (openpyxl): cells made safe, rows written in bulk, byte-stable saves."""
