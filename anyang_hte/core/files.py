"""Stored files leave the server only through a view that has checked the right and the scope.

Nothing serves ``MEDIA_URL`` (not even under DEBUG): reward documents, firms' supporting files, export
files and stashed imports are reached only through their own views, which answer with
:func:`private_file_response`: always a download (``Content-Disposition: attachment``, never shown
inline), its type never guessed by the browser (``nosniff``) and never kept by a cache or proxy.
"""

from django.http import FileResponse


def private_file_response(fieldfile, filename: str, *, content_type: str | None = None) -> FileResponse:
    response = FileResponse(
        fieldfile.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
