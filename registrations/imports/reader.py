"""Reading an import file as a stream of CSV records with their line numbers and byte offsets, so a
batch import can stop after any batch and resume there."""

import csv
import itertools
import operator
from operator import itemgetter

from django.utils.translation import gettext as _

from core.imports import ImportFileError

# --- reading the file ---------------------------------------------------------------------------


_BOM = b"\xef\xbb\xbf"  # Excel's UTF-8 byte order mark
# A line that is not UTF-8 is decoded with replacement characters and carries this mark into its row.
_BAD_UTF8 = "\x00\x01bad-utf-8\x01\x00"
_READ_SIZE = 1 << 20


class _Lines:
    """The text lines of a binary file from a byte offset, and the offset just past the lines consumed.

    The file is read and decoded a megabyte of whole lines at a time (decoding line by line costs more
    than the csv module's own parsing). A block that is not valid UTF-8 or holds a NUL character is
    decoded line by line instead, and its bad lines are marked so that only their rows are rejected.
    """

    def __init__(self, binary, offset: int):
        binary.seek(offset)
        self.binary = binary
        self.at_start = offset == 0
        self.block_start = offset
        self.block: list[str] = []
        self.sizes: list[int] | None = None  # byte size of each line of a block decoded line by line
        self.remaining = iter(())
        self.suspect = False  # the current or the previous block had a marked line

    def __iter__(self):
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self):
        pending, position, previous_marked = b"", self.block_start, False
        while True:
            data = self.binary.read(_READ_SIZE)
            if data:
                data = pending + data
                cut = data.rfind(b"\n") + 1
                if not cut:
                    pending = data
                    continue
                data, pending = data[:cut], data[cut:]
            elif pending:
                data, pending = pending, b""
            else:
                return
            if self.at_start:
                self.at_start = False
                if data.startswith(_BOM):
                    data, position = data[3:], position + 3
            marked = self._decode(data)
            self.block_start, position = position, position + len(data)
            self.suspect, previous_marked = marked or previous_marked, marked
            self.remaining = iter(self.block)
            yield self.remaining

    def _decode(self, data: bytes) -> bool:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            parts = text.split("\n")
            last = parts.pop()  # "" when the block ends with a newline
            self.block = [part + "\n" for part in parts]
            if last:
                self.block.append(last)
            self.sizes = None
            return False
        self.block, self.sizes = [], []
        for raw in _split_lf(data):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = _BAD_UTF8 + raw.decode("utf-8", errors="replace")
            self.block.append(line)
            self.sizes.append(len(raw))
        return True

    def offset(self) -> int:
        """The byte offset just past the last line handed out."""
        consumed = len(self.block) - operator.length_hint(self.remaining)
        if self.sizes is not None:
            return self.block_start + sum(self.sizes[:consumed])
        return self.block_start + len("".join(self.block[:consumed]).encode("utf-8"))


def _split_lf(data: bytes) -> list[bytes]:
    # Not bytes.splitlines: that also splits at a lone "\r", which the csv module must see inside its line.
    parts = data.split(b"\n")
    last = parts.pop()
    lines = [part + b"\n" for part in parts]
    if last:
        lines.append(last)
    return lines


class CsvStream:
    """The data rows of a contract CSV file, with line numbers and the byte offset reached.

    Like core.imports.read_rows (a badly encoded row is rejected, not the whole file; extra columns
    are ignored; a missing column fails the file), plus what a resumable batch import needs: it starts
    at a byte offset (the header is still read from the top) and tells the offset just past the last
    row read. The csv module never reads ahead of the row it returns, so that offset is exact.

    `number_records`: number rows 1, 2, 3... (records, the header not counted) instead of by the
    physical line where they end. The JSON API uses it so a reject names the row's place in its batch.
    """

    def __init__(self, binary, columns: list[str], *, offset: int = 0, line: int = 0, number_records=False):
        self.columns = columns
        self.number_records = number_records
        lines = _Lines(binary, 0)
        reader = csv.reader(lines, strict=False)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(_("The file is empty.")) from None
        except csv.Error as exc:
            raise ImportFileError(_("Not a CSV file: %(error)s") % {"error": exc}) from None
        if any(_BAD_UTF8 in h or "\x00" in h for h in header):
            raise ImportFileError(_("The header row is not valid UTF-8 text."))
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        self.indexes = [header.index(c) for c in columns]
        self.min_values = max(self.indexes) + 1
        self.pick = itemgetter(*self.indexes)
        if offset:
            self.lines = _Lines(binary, offset)
            self.reader = csv.reader(self.lines, strict=False)
            self.base = line
        else:
            # carry on with the header's reader: its line numbers already count the header
            self.lines, self.reader, self.base = lines, reader, 0
        self.records = 0  # data rows read by this reader

    @property
    def line(self) -> int:
        """Number of the last row read: its last physical line, or its record number."""
        return self.base + (self.records if self.number_records else self.reader.line_num)

    @property
    def offset(self) -> int:
        return self.lines.offset()

    def as_columns(self, values: list[str]) -> list[str]:
        """The contract columns of a row as read (for the rejects file), blank where the row is short."""
        return [values[i].replace(_BAD_UTF8, "") if i < len(values) else "" for i in self.indexes]

    def problem(self, values: list[str]) -> str | None:
        """Why a row as read cannot even be parsed (encoding, NUL, too few columns), or None."""
        if self.lines.suspect:
            if any(_BAD_UTF8 in v for v in values):
                return _("Not valid UTF-8 text.")
            if any("\x00" in v for v in values):
                return _("Contains a NUL character, which cannot be stored.")
        if len(values) < self.min_values:
            return _("Has %(got)d columns, expected %(want)d.") % {"got": len(values), "want": len(self.columns)}
        return None


def count_data_lines(binary) -> int:
    """Lines after the header, counted fast (a quoted field spanning lines makes it an overestimate)."""
    binary.seek(0)
    lines, last = 0, b""
    for chunk in iter(lambda: binary.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    binary.seek(0)
    return max(lines - 1, 0)
