"""The job form (new and edit): its fields as a request body for the API's models.

Variables are rows of fields named ``var-{i}-name``, ``-default``,
``-description``, ``-required`` and ``-secret``; ``var_rows`` says how many rows
the form has. A row left wholly blank is dropped, so a form may carry spare
rows. A secret default is never sent to the browser: on the edit form its
field is empty, and ``var-{i}-stored`` names the variable whose stored default
an empty field keeps (sent on as ``***``, which the API reads as "keep").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ishcd import exceptions
from ishcd.db.jobs import JobRecord
from ishcd.services import jobs, variables
from ishcd.web.pages import job_outputs_form

SPARE_ROWS = 2  # blank variable rows a form shows below the declared ones
MORE_ROWS = 3  # rows the "Add more rows" button adds
MAX_ROWS = 120  # rows read at most (the API's own limit, 100 variables by default, applies)
TEXT_FIELDS = (
    "name",
    "machine_name",
    "description",
    "script",
    "timeout",
    "labels",
    "retry",
    *job_outputs_form.FIELDS,
)
# Checkboxes: present (any value) when ticked.
FLAGS = ("retry_only_lost",)
_ROW_FIELD = re.compile(r"^variables\[(\d+)\]\.?(.*)$")


@dataclass(frozen=True, slots=True)
class VariableRow:
    name: str = ""
    default: str = ""
    description: str = ""
    required: bool = False
    secret: bool = False
    stored: str = ""  # the name a secret default is stored under ("" when none is)
    clear: bool = False  # remove the stored secret default

    @property
    def blank(self) -> bool:
        return not (self.name or self.default or self.description or self.stored)


@dataclass(slots=True)
class JobForm:
    """What the form shows or was sent: text fields and variable rows."""

    fields: dict[str, str] = field(default_factory=lambda: dict.fromkeys(TEXT_FIELDS + FLAGS, ""))
    rows: list[VariableRow] = field(default_factory=list)

    def with_spare_rows(self, spare: int = SPARE_ROWS) -> JobForm:
        """The form as shown: no secret values, and ``spare`` blank rows at the end."""
        shown = [replace(r, default="") if r.secret else r for r in self.rows if not r.blank]
        total = min(MAX_ROWS, len(shown) + max(0, spare))
        return JobForm(dict(self.fields), shown + [VariableRow()] * (total - len(shown)))


def row_count(raw: str | None, default: int = SPARE_ROWS) -> int:
    """A count of rows from a form or the ``rows`` query parameter (bounded, never an error)."""
    if raw is None or not raw.isdigit():
        return default
    return min(int(raw), MAX_ROWS)


def of_job(job: JobRecord) -> JobForm:
    """The edit form of ``job`` (a secret default stays on the server)."""
    fields = {
        "name": job.name,
        "machine_name": job.machine_name,
        "description": job.description or "",
        "script": job.script,
        "timeout": "" if job.timeout is None else str(job.timeout),
        "labels": " ".join(label for label in job.labels.split(",") if label),
        "retry": str(job.retry) if job.retry else "",
        "retry_only_lost": "on" if job.retry_only_lost else "",
        **job_outputs_form.fields_of(job),
    }
    rows = []
    for item in job.variables:
        stored = item.get(jobs.ENCRYPTED_DEFAULT)
        rows.append(
            VariableRow(
                name=item["name"],
                default="" if item["secret"] or item["default"] is None else item["default"],
                description=item.get("description") or "",
                required=item["required"],
                secret=item["secret"],
                stored=item["name"] if stored else "",
            )
        )
    return JobForm(fields, rows)


def _lines(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF; bash would read each "\r".
    return text.replace("\r\n", "\n")


def parse(form: dict[str, str]) -> JobForm:
    """The job form as sent (blank rows dropped, kept in order)."""
    fields = {name: form.get(name, "") for name in TEXT_FIELDS}
    fields.update({name: "on" if name in form else "" for name in FLAGS})
    fields["script"] = _lines(fields["script"])
    fields["description"] = _lines(fields["description"])
    for name in job_outputs_form.LISTS:
        fields[name] = _lines(fields[name])
    count = row_count(form.get("var_rows"), 0)
    rows = []
    for index in range(count):
        prefix = f"var-{index}-"
        row = VariableRow(
            name=form.get(prefix + "name", "").strip(),
            default=_lines(form.get(prefix + "default", "")),
            description=_lines(form.get(prefix + "description", "")),
            required=prefix + "required" in form,
            secret=prefix + "secret" in form,
            stored=form.get(prefix + "stored", ""),
            clear=prefix + "clear" in form,
        )
        if not row.blank:
            rows.append(row)
    return JobForm(fields, rows)


def _default_of(index: int, row: VariableRow) -> str | None:
    if row.default:
        return row.default
    if not row.stored or row.clear:
        return None
    if row.secret and row.name == row.stored:
        return variables.MASK  # the API keeps the stored value
    raise exceptions.ValidationFailed.one(
        f"variables[{index}].default",
        f"the stored secret default of {row.stored} stays hidden: type the default again "
        "to rename the variable or make it not secret, or tick 'remove stored default'",
    )


def body(form: JobForm, *, editing: bool) -> dict[str, Any]:
    """The request body the form stands for (JobIn's shape; JobPatch's when ``editing``)."""
    problems: list[exceptions.FieldError] = []
    declared = []
    for index, row in enumerate(form.rows):
        try:
            default = _default_of(index, row)
        except exceptions.ValidationFailed as exc:
            problems.extend(exc.errors)
            default = None
        declared.append(
            {
                "name": row.name,
                "default": default,
                "required": row.required,
                "secret": row.secret,
                "description": row.description or None,
            }
        )
    if problems:
        raise exceptions.ValidationFailed.many("invalid variables", problems)
    fields = form.fields
    values: dict[str, Any] = {
        "name": fields["name"].strip(),
        "description": fields["description"] or None,
        "script": fields["script"],
        "variables": declared,
        "timeout": fields["timeout"].strip() or None,
        # Labels are typed apart by spaces or commas.
        "labels": [label for label in re.split(r"[\s,]+", fields["labels"]) if label],
        "retry": {
            "count": fields["retry"].strip() or 0,
            "only_lost": bool(fields["retry_only_lost"]),
        },
        **job_outputs_form.body_of(fields),
    }
    machine_name = fields["machine_name"].strip()
    if machine_name or not editing:
        # A new job without one gets one made from its name; an edit keeps the old one.
        values["machine_name"] = machine_name or None
    return values


def problems_by_row(problems: list[dict[str, str]]) -> dict[int, list[str]]:
    """The problems about each variable row (``variables[i].name`` is row ``i``)."""
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        found = _ROW_FIELD.match(problem.get("field", ""))
        if found:
            what = found.group(2) or "variable"
            by_row.setdefault(int(found.group(1)), []).append(f"{what}: {problem['message']}")
    return by_row
