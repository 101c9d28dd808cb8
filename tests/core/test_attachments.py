"""What may be kept of a file a person sends: limits, types sniffed from the content,
images re-encoded without their metadata."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from linli.core.attachments import DOCX, XLSX, Refused, check, sniff
from linli.core.events import Attachment
from linli.core.i18n import translator
from linli.core.settings import AttachmentSettings

LIMITS = AttachmentSettings(max_photo_mb=1, max_file_mb=2, max_voice_mb=1)
#: the start of a Windows program
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def jpeg(size: tuple[int, int] = (32, 32), *, exif: bool = True) -> bytes:
    image = Image.new("RGB", size, (10, 200, 30))
    out = io.BytesIO()
    tags = Image.Exif()
    if exif:
        tags[0x0110] = "Phone"
        tags[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}
    image.save(out, "JPEG", exif=tags.tobytes())
    return out.getvalue()


def office(main: str, *extra: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main, "<x/>")
        for name in extra:
            archive.writestr(name, b"\x00")
    return out.getvalue()


def refusal(attachment: Attachment, data: bytes) -> str:
    with pytest.raises(Refused) as caught:
        check(attachment, data, LIMITS)
    return caught.value.translated(translator("en"))


def test_a_photo_is_re_encoded_without_its_exif_and_keeps_its_size():
    checked = check(Attachment("photo", "a.jpg"), jpeg(), LIMITS)
    image = Image.open(io.BytesIO(checked.data))
    assert checked.mime == "image/jpeg" and image.size == (32, 32)
    assert not image.getexif()


def test_a_png_photo_loses_its_exif_too():
    out = io.BytesIO()
    tags = Image.Exif()
    tags[0x8825] = {1: "N"}
    Image.new("RGBA", (8, 8)).save(out, "PNG", exif=tags.tobytes())
    checked = check(Attachment("photo", "a.png"), out.getvalue(), LIMITS)
    assert checked.mime == "image/png" and not Image.open(io.BytesIO(checked.data)).getexif()


def test_a_photo_over_its_limit_is_refused_naming_the_limit():
    big = Attachment("photo", "big.jpg")
    assert "the limit is 1 MB" in refusal(big, jpeg() + bytes(1024 * 1024))


def test_each_kind_has_its_own_limit():
    pdf = b"%PDF-1.4\n" + bytes(1024 * 1024 + 512 * 1024)  # over a photo's limit, within a file's
    assert check(Attachment("file", "a.pdf"), pdf, LIMITS).mime == "application/pdf"
    assert "limit is 2 MB" in refusal(Attachment("file", "a.pdf"), b"%PDF-1.4\n" + bytes(3 * 1024 * 1024))


def test_a_program_named_like_a_photo_is_refused():
    assert "Programs and scripts are never accepted" in refusal(Attachment("photo", "cat.jpg"), EXE)
    assert "Programs and scripts are never accepted" in refusal(Attachment("file", "report.pdf"), EXE)
    assert "Programs" in refusal(Attachment("file", "run.txt"), b"#!/bin/sh\nrm -rf /\n")


def test_a_file_whose_content_is_not_what_its_name_says_is_refused():
    assert "is not what its name says" in refusal(Attachment("file", "minutes.pdf"), jpeg())


def test_a_corrupt_image_is_refused_clearly():
    broken = jpeg()[:200]
    assert "damaged or cannot be read" in refusal(Attachment("photo", "a.jpg"), broken)


def test_an_image_that_decodes_to_too_many_pixels_is_refused():
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")
    assert "damaged or cannot be read" in refusal(Attachment("photo", "huge.png"), out.getvalue())


def test_office_documents_are_recognised_by_their_structure():
    assert sniff(office("word/document.xml")) == DOCX
    assert sniff(office("xl/workbook.xml")) == XLSX
    assert check(Attachment("file", "表.xlsx"), office("xl/workbook.xml"), LIMITS).mime == XLSX


def test_an_office_document_with_macros_or_a_plain_zip_is_refused():
    assert "Programs" in refusal(Attachment("file", "a.docx"), office("word/document.xml", "word/vbaProject.bin"))
    assert "not accepted" in refusal(Attachment("file", "a.zip"), office("other.xml"))


def test_pdf_text_and_voice_notes_are_accepted():
    assert check(Attachment("file", "a.pdf"), b"%PDF-1.4\n%...", LIMITS).mime == "application/pdf"
    assert check(Attachment("file", "notes.txt"), "会议纪要\n".encode(), LIMITS).mime == "text/plain"
    ogg = b"OggS\x00\x02" + bytes(22) + b"\x01vorbis" + bytes(40)
    assert check(Attachment("voice", ""), ogg, LIMITS).mime == "audio/ogg"


def test_a_voice_note_that_is_not_audio_is_refused():
    assert "not accepted" in refusal(Attachment("voice", ""), b"%PDF-1.4\n")


def test_a_photo_without_a_name_gets_one_from_its_type():
    assert check(Attachment("photo", ""), jpeg(exif=False), LIMITS).name == "photo.jpg"
