"""Health data (UU PDP 27/2022 Pasal 4 ayat (2) huruf a): HIV status, a named diagnosis, or what
follows "mengidap / menderita / didiagnosis" — unless the sentence speaks of a programme or a count
("skrining TBC", "Hari AIDS Sedunia", "kasus TBC")."""

from __future__ import annotations

import regex as re

from pasopati.privacy.entities import RegexEntityRecognizer, Rx, Span

_DIAGNOSIS = (
    r"(?:positif\s+(?:HIV(?:/AIDS)?|AIDS|TBC|TB|hepatitis(?:\s+[ABC]\b)?|COVID(?:-19)?|sifilis)"
    r"|HIV(?:/AIDS)?(?:[\s-]*(?:positif|positive|reaktif)\b|\+)|\bODHA\b|\bODHIV\b|\bODGJ\b|\bHIV/AIDS\b|\bAIDS\b"
    r"|\btuberkulosis\b|\btuberculosis\b|\bTBC\b|\bTB\s+paru\b|\bhepatitis(?:\s+[ABC]\b)?|\bskizofrenia\b"
    r"|\bschizophreni[ac]\b|\bbipolar\b|\bgangguan\s+(?:jiwa|mental|kejiwaan|psikotik)\b|\bmental\s+illness\b"
    r"|(?<!\brumah\s)\bsakit\s+jiwa\b|\bdepresi(?:\s+berat)?\b(?!\s+tropis)|\bdepression\b|\bpsikosis\b|\bpsychosis\b"
    r"|\bkanker(?:\s+(?:paru|payudara|serviks|hati|darah|usus|prostat|otak|kulit))?\b|\bcancer\b|\bleukemia\b"
    r"|\bdiabetes(?:\s+mell?itus)?\b|\bgagal\s+ginjal\b|\bkidney\s+failure\b|\bepilepsi\b|\bepilepsy\b"
    r"|\bsyphilis\b|\bsifilis\b|\bkusta\b|\bleprosy\b|\bhipertensi\b|\bhypertension\b|\bstroke\b"
    r"|\bserangan\s+jantung\b|\bheart\s+attack\b|\bHIV\b"
    # Treatment that names the illness (ARV is HIV therapy), an overdose, a pregnancy.
    r"|\b(?:terapi\s+|therapy\s+)?ARV\b|\bantiretro\w*|\boverdosis\b|\boverdos(?:e|ed)\b|(?<!\bibu\s)\bhamil\b(?:\s+\w+\s+bulan)?"
    r"|\bkehamilan\b|\bpregnan(?:t|cy)\b)"
)
_CUE = (
    r"\b(?:didiagnosis|didiagnosa|terdiagnosis|mengidap|menderita|riwayat\s+penyakit|diagnosed\s+with"
    r"|suffer(?:s|ing|ed)?\s+from)\s+(?:(?:penyakit|sakit)\s+)?"
)
_NOT_ILLNESS = r"(?:luka|lecet|memar|kerugian|kerusakan|cedera|injur\w*|minor|loss\w*|damage|trauma\s+ringan)\b"
_STOP = r"(?:dan|yang|sejak|sehingga|serta|di|ke|dari|pada|selama|saat|ketika|namun|tetapi|karena|and|since|at|in|for|the|while|during|but)\b"
_FREE = rf"(?!{_NOT_ILLNESS})[a-z][\w-]*(?:\s+(?!{_STOP})[a-z][\w-]*){{0,2}}"
# A diagnosis named as a programme or a count, or listed after one, is no one's health data: "skrining TBC", "Hari AIDS Sedunia".
_PROGRAMME = re.compile(
    r"\b(?:skrining|screening|penanggulangan|pencegahan|program|layanan|sosialisasi|vaksinasi|imunisasi|penyuluhan"
    r"|edukasi|kampanye|hari|day|prevention|awareness|pengendalian|deteksi\s+dini|eliminasi|kasus|cases|obat|bebas"
    r"|tes|test|pemeriksaan\s+massal)\s+(?:[\w/+-]+\s*(?:,|dan|serta|atau|and|or)\s+){0,3}(?:\w+\s+)?$",
    re.IGNORECASE,
)


def _not_a_programme(match: re.Match[str], text: str, group: int | str) -> Span | None:
    return (
        None
        if _PROGRAMME.search(text[max(0, match.start() - 40) : match.start()])
        else match.span(group)
    )


def health_recognizer() -> RegexEntityRecognizer:
    """HIV status, named diagnoses, and "mengidap/menderita/didiagnosis …" phrases (ID and EN)."""
    flags = re.IGNORECASE
    return RegexEntityRecognizer(
        "pasopati_health",
        [
            Rx("HEALTH", re.compile(rf"{_CUE}(?:{_DIAGNOSIS}|{_FREE})", flags)),
            Rx("HEALTH", re.compile(_DIAGNOSIS, flags), check=_not_a_programme),
        ],
    )
