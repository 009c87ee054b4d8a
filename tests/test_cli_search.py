"""`python -m geo search`: the same decision as the app, as text or JSON, with clear exits."""

from __future__ import annotations

import json

from geo.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_clear_answer_is_marked_and_comes_first(capsys):
    code, out, err = _run(capsys, "Athina", "--limit", "3")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == 'Athens (GR) matches "Athina".'
    assert lines[1].startswith("* place  Athens (GR)  population 664,046  23.7")
    assert lines[1].endswith("strong: exact other name (athina)")
    assert len(lines) == 4 and not any(line.startswith("*") for line in lines[2:])
    assert "Dublin" not in out


def test_locode_as_json_is_a_port_answer(capsys):
    code, out, _ = _run(capsys, "NLRTM", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["decision"] == "answer" and report["query"] == "NLRTM"
    assert report["answer"]["kind"] == "port" and report["answer"]["locode"] == "NLRTM"
    assert report["answer"]["population"] is None
    assert report["results"][0] == report["answer"]


def test_ambiguous_place_lists_choices_without_an_answer(capsys):
    code, out, _ = _run(capsys, "Frankfurt", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["decision"] == "choices" and report["answer"] is None
    strong = {(r["name"], r["kind"]) for r in report["results"] if r["strength"] == "strong"}
    assert {("Frankfurt am Main", "place"), ("Frankfurt (Oder)", "place")} <= strong
    code, out, _ = _run(capsys, "Frankfurt")
    assert out.splitlines()[0].endswith("equally well: pick the one you mean.")
    assert not [line for line in out.splitlines() if line.startswith("*")]


def test_misspelling_gives_choices_in_text(capsys):
    code, out, _ = _run(capsys, "Warsw")
    assert code == 0
    assert out.startswith('No exact match for "Warsw"')
    assert "  place  Warsaw (PL)" in out and "weak: similar spelling" in out


def test_no_match_is_one_sentence_on_stderr_and_exit_1(capsys):
    code, out, err = _run(capsys, "zzqqxx")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith('Nothing matches "zzqqxx"')
    code, out, err = _run(capsys, "zzqqxx", "--json")
    assert code == 1 and json.loads(out)["decision"] == "none" and err.startswith("Nothing matches")


def test_bad_input_exits_2_with_one_sentence(capsys):
    for argv in ([""], ["   "], ["a" * 200], ["Wien", "--limit", "0"]):
        code, out, err = _run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
