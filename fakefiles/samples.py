"""Plausible file content for fixtures: real bytes whose type fits the filename.

``.pdf`` is a minimal valid one-page PDF, ``.png`` a valid PNG (zlib and CRC from the
standard library), ``.jsonl`` batch or fine-tuning rows, ``.csv``/``.json``/``.md``/``.txt``
text. Given a ``size``, the content is padded to exactly that many bytes with whitespace
where the format allows it (inside a PDF content stream, a private PNG chunk, between JSON
tokens); below the smallest valid file of a type the bytes are cut, since nothing valid fits.

Everything comes from the ``random.Random`` and ``Faker`` passed in, so a seed gives the
same bytes every run.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .mediatypes import guess_content_type

if TYPE_CHECKING:  # imported by fixtures.py only when a fixture makes something up
    from faker import Faker

# Fixed, so the same fixture gives the same metadata on every machine (mimetypes reads the
# system's tables, which differ); anything else falls back to guessing.
CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "jsonl": "application/jsonl", "json": "application/json", "csv": "text/csv",
    "md": "text/markdown", "txt": "text/plain", "html": "text/html", "zip": "application/zip",
    "gz": "application/gzip", "mp3": "audio/mpeg", "mp4": "video/mp4",
}
MODELS = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o")


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def content_type_for(filename: str) -> str:
    return CONTENT_TYPES.get(extension(filename)) or guess_content_type(filename)


def needs_words(filename: str) -> bool:
    """Whether :func:`make_content` asks Faker for words for this file (text and PDF)."""
    ext = extension(filename)
    return ext == "pdf" or ext in _TEXT_FORMATS


def make_content(
    filename: str, purpose: str, faker: Callable[[], Faker], rng: random.Random,
    size: int | None = None,
) -> bytes:
    """Bytes for ``filename``; exactly ``size`` of them when it is given. ``faker()`` is
    called only for the formats that need words (not PNG or binary)."""
    ext = extension(filename)
    if ext == "pdf":
        return _pdf(faker(), rng, size)
    if ext == "png":
        return _png(rng, size)
    text = _TEXT_FORMATS.get(ext)
    if text is not None:
        return text(faker(), rng, purpose).render(rng, size)
    return rng.randbytes(rng.randint(256, 4096) if size is None else size)


# What a file of each purpose is usually called: (extensions, name stems).
_NAMING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "assistants": (("pdf", "md", "txt", "csv", "json"),
                   ("handbook", "report", "contract", "faq", "policy", "minutes", "proposal")),
    "assistants_output": (("txt", "png", "csv"), ("analysis", "chart", "summary")),
    "batch": (("jsonl",), ("batch-requests", "nightly-batch", "classification-batch")),
    "batch_output": (("jsonl",), ("batch-output", "batch-results")),
    "fine-tune": (("jsonl",), ("train", "validation", "support-tone", "sft")),
    "fine-tune-results": (("csv",), ("step-metrics",)),
    "vision": (("png", "pdf"), ("receipt", "screenshot", "diagram", "scan", "invoice")),
    "user_data": (("pdf", "txt", "md"), ("notes", "profile", "statement", "letter")),
    "evals": (("jsonl",), ("eval-set", "golden-answers", "regression-cases")),
    "datasets": (("jsonl", "csv"), ("dataset", "labels", "annotations")),
    "retrieval": (("pdf", "md", "txt"), ("knowledge-base", "manual", "faq", "guide")),
    "knowledge_datasource": (("md", "pdf", "txt", "csv"), ("wiki-export", "docs", "catalog")),
    "code_interpreter": (("csv", "json"), ("sales", "metrics", "export", "survey")),
}


_TOPICS = ("billing", "onboarding", "logistics", "marketing", "security", "payroll", "support",
           "product", "legal", "finance", "research", "sales", "hr", "ops")
_COMPANY_NOISE = {"and", "-", "group", "llc", "inc", "plc", "ltd", "sons"}


def plausible_filename(purpose: str, faker: Faker, rng: random.Random) -> str:
    """``acme-corp-handbook-2025.pdf``, ``nightly-batch-0412.jsonl``…"""
    kind = purpose.lower().removeprefix("file_purpose_")
    extensions, stems = _NAMING.get(kind, _NAMING["assistants"])
    words = faker.company().lower().replace(",", "").replace(".", "").split()
    company = "-".join([w for w in words if w not in _COMPANY_NOISE][:2]) or "acme"
    stem = rng.choice(stems)
    name = rng.choice((f"{company}-{stem}", f"{stem}-{rng.randint(2022, 2026)}",
                       f"{rng.choice(_TOPICS)}-{stem}-{rng.randint(1, 9999):04d}"))
    return f"{name}.{rng.choice(extensions)}"


# -- PDF -------------------------------------------------------------------------------------


def _pdf(faker: Faker, rng: random.Random, size: int | None) -> bytes:
    lines = [faker.catch_phrase()]
    lines += [faker.sentence(nb_words=10) for _ in range(rng.randint(3, 12))]
    data = _pdf_document(_pdf_text(lines), 0)
    while size is not None and len(data) > size and (len(lines) > 1 or lines[0]):
        # Fewer lines, then a shorter title, so that a small size still holds a valid PDF.
        if len(lines) > 1:
            lines.pop()
        else:
            lines[0] = lines[0][: max(0, len(lines[0]) - (len(data) - size))]
        data = _pdf_document(_pdf_text(lines), 0)
    if size is None or size == len(data):
        return data
    padding = size - len(data)
    for _ in range(4):  # the /Length and startxref digits grow with the padding; settle them
        if padding < 0:
            break
        attempt = _pdf_document(_pdf_text(lines), padding)
        if len(attempt) == size:
            return attempt
        padding += size - len(attempt)
    return _exact(data, size)


def _pdf_text(lines: list[str]) -> bytes:
    return " ".join(
        f"BT /F1 {14 if i == 0 else 11} Tf 72 {720 - 18 * i} Td ({_pdf_escape(line)}) Tj ET"
        for i, line in enumerate(lines)
    ).encode()


def _pdf_document(content: bytes, padding: int) -> bytes:
    stream = content + b"\n" + b" " * padding  # whitespace in a content stream is a no-op
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )
    return bytes(out)


def _pdf_escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


# -- PNG -------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHUNK_OVERHEAD = 12  # length, type, CRC


def _png(rng: random.Random, size: int | None) -> bytes:
    width, height = rng.randint(16, 64), rng.randint(16, 64)
    colors = [rng.randrange(256) for _ in range(6)]
    if size is None:
        return _png_image(width, height, colors)
    # Pad with a private ancillary chunk (decoders skip it); a chunk costs at least 12 bytes,
    # so when the gap is smaller, try smaller images until one leaves 0 or 12+ bytes.
    for w, h in [(width, height)] + [(n, n) for n in range(min(width, height) - 1, 0, -1)]:
        image = _png_image(w, h, colors)
        gap = size - len(image)
        if gap == 0:
            return image
        if gap >= PNG_CHUNK_OVERHEAD:
            pad = _png_chunk(b"fkPd", b" " * (gap - PNG_CHUNK_OVERHEAD))
            return image[:-PNG_CHUNK_OVERHEAD] + pad + image[-PNG_CHUNK_OVERHEAD:]  # before IEND
    return _exact(_png_image(1, 1, colors), size)


def _png_image(width: int, height: int, colors: list[int]) -> bytes:
    """An 8-bit RGB diagonal gradient between two colours."""
    r0, g0, b0, r1, g1, b1 = colors
    rows = bytearray()
    span = max(width + height - 2, 1)
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            t = (x + y) / span
            rows += bytes(int(a + (b - a) * t) for a, b in ((r0, r1), (g0, g1), (b0, b1)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# -- text formats ----------------------------------------------------------------------------


@dataclass
class _Text:
    """Rows between a header and a footer; padding goes where whitespace is harmless."""

    rows: Callable[[int], str]
    header: str = ""
    footer: str = ""
    sep: str = ""
    minimal: str = "\n"  # the smallest valid file, when not even one row fits
    pad_at: Callable[[bytes], int] = lambda data: max(len(data) - 1, 0)  # before the last \n

    def render(self, rng: random.Random, size: int | None) -> bytes:
        head, foot, sep = self.header.encode(), self.footer.encode(), self.sep.encode()
        rows: list[bytes] = []
        total = len(head) + len(foot)
        for i in _count_or_forever(rng.randint(3, 40) if size is None else None):
            row = self.rows(i).encode()
            extra = len(row) + (len(sep) if rows else 0)
            if size is not None and total + extra > size:
                break
            rows.append(row)
            total += extra
        data = head + sep.join(rows) + foot
        if size is None:
            return data
        if not rows and (len(data) > size or not data.strip()):
            data = self.minimal.encode()
        if len(data) > size:
            return _exact(data, size)
        at = self.pad_at(data)
        return data[:at] + b" " * (size - len(data)) + data[at:]


def _count_or_forever(count: int | None) -> Iterator[int]:
    i = 0
    while count is None or i < count:
        yield i
        i += 1


def _after_last_brace(data: bytes) -> int:
    """Inside the last JSON line, right after its opening brace."""
    return data.rfind(b"\n", 0, len(data) - 1) + 2


def _jsonl(faker: Faker, rng: random.Random, purpose: str) -> _Text:
    kind = purpose.lower().removeprefix("file_purpose_")

    def row(i: int) -> str:
        question = faker.sentence(nb_words=rng.randint(5, 14))
        answer = faker.paragraph(nb_sentences=rng.randint(1, 3))
        if kind in ("fine-tune", "fine_tune"):
            value: object = {"messages": [
                {"role": "system", "content": "You are a helpful support assistant."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]}
        elif kind == "batch_output":
            value = {"id": f"batch_req_{rng.getrandbits(64):016x}", "custom_id": f"request-{i + 1}",
                     "response": {"status_code": 200, "body": {"object": "chat.completion",
                     "choices": [{"message": {"role": "assistant", "content": answer}}]}},
                     "error": None}
        elif kind == "evals":
            value = {"item": {"input": question, "ground_truth": answer}}
        elif kind in ("batch", "code_interpreter"):
            value = {"custom_id": f"request-{i + 1}", "method": "POST",
                     "url": "/v1/chat/completions", "body": {"model": rng.choice(MODELS),
                     "messages": [{"role": "user", "content": question}]}}
        else:
            value = {"id": i + 1, "text": question, "label": faker.word()}
        return json.dumps(value) + "\n"

    return _Text(row, minimal="{}\n", pad_at=_after_last_brace)


def _json(faker: Faker, rng: random.Random, purpose: str) -> _Text:
    def row(i: int) -> str:
        return "  " + json.dumps({"id": i + 1, "name": faker.name(), "email": faker.email(),
                                  "company": faker.company(), "score": rng.randint(0, 100)})

    footer = "\n]}\n"
    return _Text(row, header='{"object": "list", "data": [\n', footer=footer, sep=",\n",
                 minimal="{}\n", pad_at=lambda data: len(data) - len(footer))


def _csv(faker: Faker, rng: random.Random, purpose: str) -> _Text:
    if "fine-tune-results" in purpose:
        def metrics(i: int) -> str:
            loss = 2.0 / (i + 1) + rng.random() / 10
            return f"{i + 1},{loss:.4f},{loss * 1.1:.4f},{min(0.99, 0.5 + i / 100):.3f}\n"

        return _Text(metrics, header="step,train_loss,valid_loss,train_accuracy\n")

    def row(i: int) -> str:
        return (f"{i + 1},{faker.date(pattern='%Y-%m-%d')},{faker.company().replace(',', '')},"
                f"{faker.country_code()},{rng.randint(1, 500)},{rng.uniform(5, 5000):.2f}\n")

    return _Text(row, header="id,date,customer,country,quantity,amount\n")


def _markdown(faker: Faker, rng: random.Random, purpose: str) -> _Text:
    def row(i: int) -> str:
        if i % 4 == 0:
            return f"## {faker.catch_phrase()}\n\n"
        return faker.paragraph(nb_sentences=rng.randint(2, 6)) + "\n\n"

    return _Text(row, header=f"# {faker.bs().title()}\n\n")


def _plain(faker: Faker, rng: random.Random, purpose: str) -> _Text:
    return _Text(lambda i: faker.paragraph(nb_sentences=rng.randint(2, 6)) + "\n\n")


_TEXT_FORMATS: dict[str, Callable[[Faker, random.Random, str], _Text]] = {
    "jsonl": _jsonl, "ndjson": _jsonl, "json": _json, "csv": _csv, "md": _markdown,
    "txt": _plain, "text": _plain,
}


def _exact(data: bytes, size: int) -> bytes:
    """Exactly ``size`` bytes when the format cannot stay valid at that size."""
    return data[:size] if len(data) >= size else data + b" " * (size - len(data))
