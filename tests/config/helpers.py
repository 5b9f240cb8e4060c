from __future__ import annotations

from router.errors import ConfigProblem


def only_error(problems: list[ConfigProblem]) -> ConfigProblem:
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(str(p) for p in problems)
    return errors[0]
