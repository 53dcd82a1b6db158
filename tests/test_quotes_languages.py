"""import quotes of MAXQDA's Coded Segments table whatever MAXQDA's interface language.

MAXQDA names the columns of the table in its interface language. The words themegrid
knows are confirmed ones only: English from MAXQDA's manual, German from a researcher's
script that reads a real German export (Farbe, Dokumentgruppe, Dokumentname, Code,
Segment, Erstellt am). For other languages (Spanish, French, ...) no public source
confirmed MAXQDA's words, so the tables below headed in Spanish and French use
*stand-in* translations, not verified MAXQDA headers: they stand for any header row
themegrid has no words for, whose columns must then be found from the cells.

The real-data tests take the 262 real rows of the pdpilot devdata export (a PDF of the
English table) and write them under each header row, the data rows unchanged.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from conftest import quoted_spans
from themegrid.api import import_quotes, ingest
from themegrid.errors import InputFileError
from themegrid.exchange.quotes import QuoteRow, read_quote_rows
from themegrid.project import Project, init_project, open_project
from themegrid.store.connection import Store

PDPILOT = Path("../shared/devdata/pdpilot_maxqda_interviews/results")

# MAXQDA's column list for the Coded Segments export, from its manual (English interface).
ENGLISH = [
    "Color", "Document group", "Document name", "Code", "Begin", "End", "Weight score",
    "Segment", "Comment", "Modified by", "Modified", "Created by", "Created", "Area",
    "Coverage %",
]  # fmt: skip
# German: the confirmed words are Farbe, Dokumentgruppe, Dokumentname, Code, Segment and
# Erstellt am; the other headers here are unconfirmed (themegrid reads none of them).
GERMAN = [
    "Farbe", "Dokumentgruppe", "Dokumentname", "Code", "Anfang", "Ende", "Gewicht",
    "Segment", "Kommentar", "Geändert von", "Geändert am", "Erstellt von", "Erstellt am",
    "Fläche", "Abdeckungsgrad %",
]  # fmt: skip
# Stand-ins, NOT verified MAXQDA words (see the module docstring).
SPANISH = [
    "Color", "Grupo de documentos", "Nombre del documento", "Código", "Inicio", "Fin",
    "Peso", "Segmento", "Comentario", "Modificado por", "Modificado", "Creado por",
    "Creado", "Área", "Cobertura %",
]  # fmt: skip
FRENCH = [
    "Couleur", "Groupe de documents", "Nom du document", "Code", "Début", "Fin", "Poids",
    "Segment codé", "Commentaire", "Modifié par", "Modifié", "Créé par", "Créé", "Zone",
    "Couverture %",
]  # fmt: skip
LANGUAGES = {"english": ENGLISH, "german": GERMAN, "spanish": SPANISH, "french": FRENCH}
#: Languages whose headers themegrid knows (the others are found from the cells).
KNOWN = {"english", "german"}


def maxqda_xlsx(path: Path, header: list[str], rows: list[QuoteRow], variables: int = 0) -> Path:
    """The Coded Segments table as MAXQDA writes it to Excel, in ``header``'s language;
    ``variables``: that many document variables follow (the first repeats the document
    name, as MAXQDA's system variable does)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    at = {name: i for i, name in enumerate(header)}
    sheet.append([*header, *[header[2], "Interview date", "Role"][:variables]])
    for n, row in enumerate(rows):
        values: list[object] = [None] * len(header)  # colour is a fill, the value empty
        values[1] = "Interviews"
        values[at[header[2]]] = row.document
        values[at[header[3]]] = row.code
        values[4], values[5] = n + 1, n + 3  # paragraphs, as numbers
        values[6] = 0
        values[at[header[7]]] = row.quote
        values[9] = values[11] = "Kerrigan"
        values[10] = datetime.datetime(2023, 5, 6, 9, 0)
        values[12] = datetime.datetime(2023, 5, 4, 10, 30)
        values[13], values[14] = len(row.quote), 1.5
        extra = [row.document, "2023-05-01", "ML engineer"][:variables]
        sheet.append([*values, *extra])
    book.save(path)
    return path


# --- the real export under each language's headers ----------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[QuoteRow]]:
    """The pdpilot transcripts ingested once, and the real export's rows."""
    if not PDPILOT.exists():
        pytest.skip("../shared/devdata (pdpilot) is absent")
    pytest.importorskip("pypdf")
    root = tmp_path_factory.mktemp("pdpilot") / "proj"
    project, _ = init_project(root, empty_codebook=True)
    for pdf in sorted((PDPILOT / "transcripts").glob("P*.pdf")):
        (project.root / "corpus" / pdf.name).write_bytes(pdf.read_bytes())
    ingest(project)
    rows = read_quote_rows(PDPILOT / "coded-segments.pdf")
    return root, rows


def fresh(real_root: Path, tmp_path: Path) -> Project:
    shutil.copytree(real_root, tmp_path / "proj")
    return open_project(tmp_path / "proj")


@pytest.fixture(scope="module")
def english_pdf_spans(
    real: tuple[Path, list[QuoteRow]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, set[tuple[str, str, str]]]:
    """The real PDF imported as it is: the figures every language must give again."""
    project = fresh(real[0], tmp_path_factory.mktemp("pdf"))
    summary = import_quotes(project, PDPILOT / "coded-segments.pdf", coder="K", add_codes=True)
    return summary.quotes_found, quoted_spans(project, "K")


@pytest.mark.slow
@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("variables", [0, 3], ids=["", "with-document-variables"])
def test_the_real_export_imports_alike_in_every_language(
    real: tuple[Path, list[QuoteRow]],
    english_pdf_spans: tuple[int, set[tuple[str, str, str]]],
    tmp_path: Path,
    language: str,
    variables: int,
) -> None:
    root, rows = real
    project = fresh(root, tmp_path)
    header = LANGUAGES[language]
    table = maxqda_xlsx(tmp_path / "Coded Segments.xlsx", header, rows, variables)
    summary = import_quotes(project, table, coder="K", add_codes=True)
    found, spans = english_pdf_spans
    assert found == len(rows) == 262
    assert (summary.rows, summary.quotes_found, summary.not_found) == (len(rows), found, ())
    assert summary.columns == (header[2], header[3], header[7])
    assert summary.detected is (language not in KNOWN)
    assert quoted_spans(project, "K") == spans  # the same codings on the same text


# --- the same without devdata: a small transcript -----------------------------------------

TRANSCRIPT = """\
Dan: So how do you use these plots in your work?

Participant: We look at the pre-computed plots first, and then we compare
the clusters side by side.

Dan: Okay. Yeah.

Participant: Yeah. Then we report the trend to the business.
"""
ROWS = [
    QuoteRow(2, "P1", "Techniques > Pre-computed plots", "the pre-\ncomputed plots first"),
    QuoteRow(3, "P1", "Reporting", "Then we report the trend to the business."),
    QuoteRow(4, "P2", "Techniques > Comparing", "we compare the clusters side by side."),
]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    (project.root / "corpus" / "P1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (project.root / "corpus" / "P2.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ingest(project)
    return project


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_language_finds_the_three_columns(
    project: Project, tmp_path: Path, language: str
) -> None:
    header = LANGUAGES[language]
    table = maxqda_xlsx(tmp_path / "x.xlsx", header, ROWS, variables=2)
    summary = import_quotes(project, table, coder="Kim", add_codes=True)
    assert (summary.quotes_found, summary.not_found) == (3, ())
    assert summary.columns == (header[2], header[3], header[7])
    assert summary.detected is (language not in KNOWN)
    assert any("found from the cells" in line for line in summary.lines()) is summary.detected
    assert quoted_spans(project, "Kim") == {
        ("P1.txt", "techniques.pre_computed_plots", "the pre-computed plots first"),
        ("P1.txt", "reporting", "Then we report the trend to the business."),
        ("P2.txt", "techniques.comparing", "we compare\nthe clusters side by side."),
    }


def test_named_columns_win_and_a_wrong_name_is_refused(project: Project, tmp_path: Path) -> None:
    table = maxqda_xlsx(tmp_path / "x.xlsx", SPANISH, ROWS)
    with pytest.raises(InputFileError, match=r"no column 'Codigo' .*fix --code-column"):
        import_quotes(project, table, coder="Kim", code_column="Codigo")
    summary = import_quotes(
        project,
        table,
        coder="Kim",
        add_codes=True,
        document_column="nombre del documento",
        code_column="Código",
        quote_column="Segmento",
    )
    assert (summary.quotes_found, summary.detected) == (3, False)


def test_unknown_headers_that_the_cells_cannot_settle_name_file_headers_and_options(
    project: Project, tmp_path: Path
) -> None:
    """Two label columns, neither after the document column and neither repeating a
    value: which one holds the codes is not guessed."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Pièce", "Extrait", "Étiquette", "Autre"])
    for n, row in enumerate(ROWS):
        book.active.append([row.document, row.quote, row.code, f"note {n}"])
    book.save(tmp_path / "odd.xlsx")
    with pytest.raises(InputFileError) as err:
        import_quotes(project, tmp_path / "odd.xlsx", coder="Kim")
    message = str(err.value)
    assert message.startswith(str(tmp_path / "odd.xlsx"))
    assert "columns: Pièce, Extrait, Étiquette, Autre" in message
    for option in ("--document-column", "--code-column", "--quote-column"):
        assert option in message
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE coder = 'Kim'") == 0
    # codes repeat: with one label column repeating its values, that one holds the codes
    book.active.append([ROWS[0].document, ROWS[0].quote, ROWS[0].code, "note 3"])
    book.save(tmp_path / "odd.xlsx")
    summary = import_quotes(project, tmp_path / "odd.xlsx", coder="Kim", add_codes=True)
    assert (summary.columns, summary.detected) == (("Pièce", "Étiquette", "Extrait"), True)


def test_a_pdf_in_a_language_themegrid_has_no_words_for_reads_with_the_options(
    tmp_path: Path,
) -> None:
    pytest.importorskip("pypdf")
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for x, name in zip((15, 40, 95), ("Nombre del documento", "Codigo", "Segmento"), strict=True):
        pdf.text(x, 25, name)
    pdf.text(15, 35, "P1")
    pdf.text(40, 35, "Reporting")
    pdf.text(95, 35, "Then we report the trend to the business.")
    pdf.output(str(tmp_path / "segmentos.pdf"))
    with pytest.raises(InputFileError, match="--document-column, --code-column and --quote"):
        read_quote_rows(tmp_path / "segmentos.pdf")
    from themegrid.exchange.quotes import QuoteColumns

    named = QuoteColumns("Nombre del documento", "Codigo", "Segmento")
    [row] = read_quote_rows(tmp_path / "segmentos.pdf", named)
    assert (row.document, row.code, row.quote) == ("P1", "Reporting", ROWS[1].quote)


def test_the_cli_names_the_columns_and_says_they_were_found_from_the_cells(
    project: Project, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from themegrid.cli import app

    table = maxqda_xlsx(tmp_path / "x.xlsx", FRENCH, ROWS)
    base = ["import", "quotes", str(table), "--coder", "Kim", "--project", str(project.root)]
    runner = CliRunner()
    detected = runner.invoke(app, [*base, "--add-codes"])
    assert detected.exit_code == 0, detected.output
    assert "quote 'Segment codé', found from the cells" in " ".join(detected.output.split())
    columns = ["--document-column", "Nom du document", "--code-column", "Code"]
    named = runner.invoke(app, [*base, *columns, "--quote-column", "Segment codé"])
    assert named.exit_code == 0, named.output
    assert "by their headers" in named.output
    wrong = runner.invoke(app, [*base, "--quote-column", "Segment"])
    assert wrong.exit_code != 0
    assert "no column 'Segment'" in wrong.output and "--quote-column" in wrong.output


def test_a_column_found_by_its_header_is_kept_when_the_others_come_from_the_cells(
    project: Project, tmp_path: Path
) -> None:
    """French 'Code' is a header themegrid knows: it stays the code column, though here it
    is not the one after the document's and a comment column repeats as many values."""
    import openpyxl

    rows = [*ROWS, QuoteRow(5, "P2", "Reporting", "Then we report the trend")]
    written = openpyxl.load_workbook(maxqda_xlsx(tmp_path / "x.xlsx", FRENCH, rows)).active
    book = openpyxl.Workbook()
    for n, cells in enumerate(written.iter_rows(values_only=True)):
        values = list(cells)
        if n:
            values[8] = f"note {'abca'[n - 1]}"  # Commentaire: 3 values, one repeated
        code = values.pop(3)
        book.active.append([*values, code])  # Code moved to the last column
    book.save(tmp_path / "moved.xlsx")
    summary = import_quotes(project, tmp_path / "moved.xlsx", coder="Kim", add_codes=True)
    assert summary.columns == ("Nom du document", "Code", "Segment codé")
    assert (summary.quotes_found, summary.detected) == (4, True)


# --- MAXQDA's PDF of the table, headed in a language themegrid has no words for -----------

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def coded_segments_pdf(path: Path, headers: tuple[str, ...], rows: list[QuoteRow]) -> Path:
    """The table laid out as MAXQDA prints it: a title, the three headers on one line,
    then per row the document, the code and the segment at their columns' left edges,
    code and segment wrapped, rows continuing onto the next pages; ``headers`` empty: a
    table without its header line."""
    import textwrap

    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF(format="A4")
    if DEJAVU.exists():  # the real quotes hold characters beyond Latin-1 (’)
        pdf.add_font("DejaVu", fname=str(DEJAVU))
        pdf.set_font("DejaVu", size=8)
    else:
        pdf.set_font("Helvetica", size=8)
    columns = (15.0, 30.0, 95.0)
    pdf.add_page()
    pdf.text(15, 15, "Segmentos codificados")
    for x, name in zip(columns, headers, strict=False):
        pdf.text(x, 25, name)
    y = 32.0
    for row in rows:
        code = textwrap.wrap(row.code, 34, break_on_hyphens=False)
        quote = textwrap.wrap(" ".join(row.quote.split()), 62, break_on_hyphens=False)
        height = 4 * max(len(code), len(quote))
        if y + height > 285:
            pdf.add_page()
            y = 15.0
        pdf.text(columns[0], y, row.document)
        for i, line in enumerate(code):
            pdf.text(columns[1], y + 4 * i, line)
        for i, line in enumerate(quote):
            pdf.text(columns[2], y + 4 * i, line)
        y += height + 3
    pdf.output(str(path))
    return path


SPANISH_PDF = ("Nombre del documento", "Código", "Segmento")  # stand-ins, not verified words


def test_a_pdf_headed_in_an_unknown_language_is_read_from_its_layout(
    project: Project, tmp_path: Path
) -> None:
    pytest.importorskip("pypdf")
    table = coded_segments_pdf(tmp_path / "segmentos.pdf", SPANISH_PDF, ROWS)
    with pytest.raises(InputFileError, match="--document-column, --code-column and --quote"):
        read_quote_rows(table)  # no project documents to tell the header from a row
    summary = import_quotes(project, table, coder="Kim", add_codes=True)
    assert (summary.quotes_found, summary.not_found) == (3, ())
    assert (summary.columns, summary.detected) == (SPANISH_PDF, True)
    assert quoted_spans(project, "Kim") == {
        ("P1.txt", "techniques.pre_computed_plots", "the pre-computed plots first"),
        ("P1.txt", "reporting", "Then we report the trend to the business."),
        ("P2.txt", "techniques.comparing", "we compare\nthe clusters side by side."),
    }


def test_a_pdf_table_without_its_header_line_is_refused_not_read_from_its_second_row(
    project: Project, tmp_path: Path
) -> None:
    """A first row (document, code, quote side by side) is no header: its first cell
    names a document."""
    pytest.importorskip("pypdf")
    table = coded_segments_pdf(tmp_path / "segmentos.pdf", (), ROWS)
    with pytest.raises(InputFileError, match="has no table with the columns"):
        import_quotes(project, table, coder="Kim", add_codes=True)


@pytest.mark.slow
def test_the_real_rows_in_a_pdf_headed_in_an_unknown_language(
    real: tuple[Path, list[QuoteRow]],
    english_pdf_spans: tuple[int, set[tuple[str, str, str]]],
    tmp_path: Path,
) -> None:
    if not DEJAVU.exists():
        pytest.skip(f"{DEJAVU} is absent (the real quotes need a Unicode font)")
    pytest.importorskip("pypdf")
    root, rows = real
    project = fresh(root, tmp_path)
    table = coded_segments_pdf(tmp_path / "segmentos.pdf", SPANISH_PDF, rows)
    summary = import_quotes(project, table, coder="K", add_codes=True)
    found, spans = english_pdf_spans
    assert (summary.rows, summary.quotes_found, summary.not_found) == (len(rows), found, ())
    assert summary.detected
    assert quoted_spans(project, "K") == spans
