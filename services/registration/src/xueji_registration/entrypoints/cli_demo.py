"""`xueji registration demo-people`: where the demo's people come from, for trying each flow by hand.

The embedded demo seeds dedup's population register (基础数据库) and national-query's preschool
records (学前学籍) from the same deterministic generator (xueji_common.demo); this command regenerates
them and shows a few people fitting each flow, plus (--form) a CreateApplication request to send
with `xueji call`. Registered on the `registration` group of entrypoints/cli.py.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from xueji_registration.entrypoints.cli import cli, console

HK_SAMPLES = ("H30000001", "H30000002", "H30000003")  # any unused HK permit number (港澳台: no register)


def _people(count: int):
    from xueji_common import demo
    from xueji_common.orgunits import load_default_tree

    tree = load_default_tree()
    today = demo.reference_day()
    people = demo.population_register(tree)
    preschool = demo.preschool_records(tree, people)
    numbers = [r.document_number for r in preschool if r.document_number]
    shared = {n for n in numbers if numbers.count(n) > 1}
    older = [
        p
        for p in people
        if 12 <= demo.age_on(p.birth_date, today) <= 15  # fits grade 21 (初一) of the form
        and p.household_division in tree
    ][:count]
    by_number = {r.document_number: r for r in preschool}
    freshmen = [
        (p, by_number[p.resident_id])
        for p in people
        if p.resident_id in by_number and p.resident_id not in shared
    ][:count]
    twins = [r for r in preschool if r.document_number in shared][:2]
    return older, freshmen, twins


def _form(person) -> dict:
    from xueji_registration.testing import sample_form

    identity = {
        "name": person.name,
        "gender": "GENDER_MALE" if person.gender == "1" else "GENDER_FEMALE",
        "birthDate": {
            "year": person.birth_date.year,
            "month": person.birth_date.month,
            "day": person.birth_date.day,
        },
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": person.resident_id},
    }
    return {
        "schoolCode": "1330102001",
        "kind": "REGISTRATION_KIND_NON_PRIMARY_FRESHMAN",
        "category": "DOCUMENT_CATEGORY_RESIDENT",
        "student": {**sample_form("resident"), **identity},
    }


@cli.command(
    name="demo-people",
    help="演示数据中的学生：各注册流程可用的身份（基础数据库、学前学籍），及 --form 的示例表单。",
)
@click.option("--count", default=3, show_default=True, help="People per flow.")
@click.option(
    "--form",
    "as_form",
    is_flag=True,
    help="Print a CreateApplication request (protobuf JSON) for the first non-freshman instead.",
)
def demo_people(count: int, as_form: bool) -> None:
    older, freshmen, twins = _people(count)
    if as_form:
        click.echo(json.dumps(_form(older[0]), ensure_ascii=False, indent=2))
        return
    table = Table("流程", "姓名", "性别", "出生日期", "身份证件号", "说明")
    gender = {"1": "男", "2": "女"}
    for p in older:
        table.add_row(
            "非小学新生·居民身份证",
            p.name,
            gender[p.gender],
            p.birth_date.isoformat(),
            p.resident_id,
            "基础数据库中有此人：查重认证通过，生成G字头学籍号",
        )
    for p, r in freshmen:
        table.add_row(
            "小学新生·居民身份证",
            p.name,
            gender[p.gender],
            p.birth_date.isoformat(),
            p.resident_id,
            f"学前学籍（{r.kindergarten_name}）：先新增学前调档，再补录或导入",
        )
    for r in twins:
        table.add_row(
            "学前一人多籍",
            r.name,
            gender[r.gender],
            r.birth_date.isoformat(),
            r.document_number,
            "两条学前学籍共用此证件号：学前调档匹配到问题学籍",
        )
    for number in HK_SAMPLES[:count]:
        table.add_row(
            "港澳台和外籍",
            "陈大文",
            "男",
            "2012-05-06",
            number,
            "香港居民来往内地通行证：任一未被使用的号码；同一号码在第二所学校被拒绝",
        )
    table.add_row(
        "无证件", "赵无证", "女", "2013-07-08", "（无）", "须上传证明材料，家庭成员至少一人有居民身份证"
    )
    console.print(table)
    console.print(
        "示例表单：xueji registration demo-people --form > form.json，然后 "
        'xueji call xueji.v1.Registrations/CreateApplication "$(cat form.json)" '
        "--role school_registrar --org 1330102001"
    )
