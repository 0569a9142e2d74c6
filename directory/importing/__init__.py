"""Bulk import and export of the target directory (检查对象名录库).

``sources`` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and .xlsx files as a
stream of ``(line_number, cells)``; ``mapping`` recognises the usual Chinese
headers; ``validate`` turns cells into field values or errors; ``runner``
upserts the good rows by key in one transaction; ``report`` writes the errors
as a spreadsheet; ``export`` writes the directory in the layout ``mapping``
recognises, so that exporting and importing again changes nothing.
"""
