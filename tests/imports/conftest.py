import csv
import io

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(rows, name=..., encoding=..., bom=False) -> path; rows[0] is the header."""

    def write(rows, name="file.csv", encoding="utf-8", bom=False):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        data = buf.getvalue().encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write
