"""Discord's documented limits for what a bot sends. Each check returns the broken rules, in words."""

from __future__ import annotations

import re
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
ROW_ITEMS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
POLL_QUESTION_MAX = 300
POLL_ANSWERS_MAX = 10
POLL_ANSWER_MAX = 55
POLL_HOURS_MAX = 768  # 32 days
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def check_embed(embed: dict[str, Any], where: str) -> tuple[list[str], int]:
    errors = []
    total = 0
    for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
        n = _len(embed.get(key))
        total += n
        if n > limit:
            errors.append(f"{where}.{key}: {n} characters > {limit}")
    fields = embed.get("fields", [])
    if len(fields) > EMBED_FIELDS_MAX:
        errors.append(f"{where}.fields: {len(fields)} fields > {EMBED_FIELDS_MAX}")
    for i, f in enumerate(fields):
        name, value = _len(f.get("name")), _len(f.get("value"))
        total += name + value
        if not 0 < name <= FIELD_NAME_MAX:
            errors.append(f"{where}.fields[{i}].name: {name} characters (1..{FIELD_NAME_MAX})")
        if not 0 < value <= FIELD_VALUE_MAX:
            errors.append(f"{where}.fields[{i}].value: {value} characters (1..{FIELD_VALUE_MAX})")
    footer = _len((embed.get("footer") or {}).get("text"))
    author = _len((embed.get("author") or {}).get("name"))
    total += footer + author
    if footer > FOOTER_MAX:
        errors.append(f"{where}.footer.text: {footer} characters > {FOOTER_MAX}")
    if author > AUTHOR_MAX:
        errors.append(f"{where}.author.name: {author} characters > {AUTHOR_MAX}")
    return errors, total


def check_components(rows: list[dict[str, Any]]) -> list[str]:
    errors = []
    if len(rows) > ACTION_ROWS_MAX:
        errors.append(f"components: {len(rows)} action rows > {ACTION_ROWS_MAX}")
    for r, row in enumerate(rows):
        items = row.get("components", [])
        if row.get("type") != 1:
            errors.append(f"components[{r}]: top-level component must be an action row")
        if not 0 < len(items) <= ROW_ITEMS_MAX:
            errors.append(f"components[{r}]: {len(items)} items (1..{ROW_ITEMS_MAX})")
        for i, item in enumerate(items):
            where = f"components[{r}].components[{i}]"
            if item.get("type") == 2:
                if item.get("style") == 5:
                    if "url" not in item or "custom_id" in item:
                        errors.append(f"{where}: a link button needs a url and no custom_id")
                elif not 0 < _len(item.get("custom_id")) <= CUSTOM_ID_MAX:
                    errors.append(f"{where}.custom_id: 1..{CUSTOM_ID_MAX} characters required")
                if _len(item.get("label")) > BUTTON_LABEL_MAX:
                    errors.append(f"{where}.label: more than {BUTTON_LABEL_MAX} characters")
    return errors


def check_poll(poll: dict[str, Any]) -> list[str]:
    errors = []
    question = _len((poll.get("question") or {}).get("text"))
    if not 0 < question <= POLL_QUESTION_MAX:
        errors.append(f"poll.question.text: {question} characters (1..{POLL_QUESTION_MAX})")
    answers = poll.get("answers", [])
    if not 0 < len(answers) <= POLL_ANSWERS_MAX:
        errors.append(f"poll.answers: {len(answers)} answers (1..{POLL_ANSWERS_MAX})")
    for i, answer in enumerate(answers):
        n = _len((answer.get("poll_media") or {}).get("text"))
        if not 0 < n <= POLL_ANSWER_MAX:
            errors.append(f"poll.answers[{i}].poll_media.text: {n} characters (1..{POLL_ANSWER_MAX})")
    duration = poll.get("duration", 24)
    # discord.py sends hours as a float (127.0); Discord takes whole hours from 1 to 768.
    whole = (
        isinstance(duration, int | float) and not isinstance(duration, bool) and float(duration).is_integer()
    )
    if not whole or not 1 <= duration <= POLL_HOURS_MAX:
        errors.append(f"poll.duration: {duration!r} hours (whole hours, 1..{POLL_HOURS_MAX})")
    return errors


def check_message(body: dict[str, Any]) -> list[str]:
    """A message create/edit body, as a bot sends it in REST or an interaction callback."""
    errors = []
    content = _len(body.get("content"))
    if content > CONTENT_MAX:
        errors.append(f"content: {content} characters > {CONTENT_MAX}")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        errors.append(f"embeds: {len(embeds)} > {EMBEDS_MAX}")
    total = 0
    for i, embed in enumerate(embeds):
        found, size = check_embed(embed, f"embeds[{i}]")
        errors += found
        total += size
    if total > EMBED_TOTAL_MAX:
        errors.append(f"embeds: {total} characters in all > {EMBED_TOTAL_MAX}")
    errors += check_components(body.get("components") or [])
    if body.get("poll") is not None:
        errors += check_poll(body["poll"])
    return errors


def check_choices(choices: list[dict[str, Any]]) -> list[str]:
    errors = []
    if len(choices) > CHOICES_MAX:
        errors.append(f"choices: {len(choices)} > {CHOICES_MAX}")
    for i, c in enumerate(choices):
        if not 0 < _len(c.get("name")) <= CHOICE_NAME_MAX:
            errors.append(f"choices[{i}].name: 1..{CHOICE_NAME_MAX} characters required")
        value = c.get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE_MAX:
            errors.append(f"choices[{i}].value: more than {CHOICE_VALUE_MAX} characters")
    return errors


def check_command(command: dict[str, Any], where: str = "") -> list[str]:
    """Registration rules: names lowercase 1-32 without spaces, descriptions 1-100, choices <= 25."""
    errors = []
    where = where or f"command {command.get('name')!r}"
    name = command.get("name", "")
    if (command.get("type", 1) == 1 and not re.fullmatch(r"[-_\w]{1,32}", name)) or name != name.lower():
        errors.append(f"{where}: invalid name {name!r}")
    description = _len(command.get("description"))
    if command.get("type", 1) == 1 and not 0 < description <= COMMAND_DESCRIPTION_MAX:
        errors.append(f"{where}: description {description} characters (1..{COMMAND_DESCRIPTION_MAX})")
    for locale, text in (command.get("name_localizations") or {}).items():
        if not re.fullmatch(r"[-_\w]{1,32}", text) or text != text.lower():
            errors.append(f"{where}: invalid {locale} name {text!r}")
    for locale, text in (command.get("description_localizations") or {}).items():
        if not 0 < len(text) <= COMMAND_DESCRIPTION_MAX:
            errors.append(f"{where}: {locale} description {len(text)} characters")
    options = command.get("options") or []
    if len(options) > 25:
        errors.append(f"{where}: more than 25 options")
    seen_required_end = False
    for option in options:
        errors += check_command(option, f"{where} option {option.get('name')!r}")
        errors += check_choices(option.get("choices") or [])
        if option.get("type") not in (1, 2):
            if option.get("required"):
                if seen_required_end:
                    errors.append(f"{where}: required option {option.get('name')!r} after an optional one")
            else:
                seen_required_end = True
    return errors


MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
LABEL_MAX = 45
LABEL_DESCRIPTION_MAX = 100
TEXT_INPUT_VALUE_MAX = 4000
CUSTOM_ID_MAX = 100


def check_modal(modal: dict[str, Any]) -> list[str]:
    """A modal (interaction response type 9): Discord's limits on its title, rows and text inputs."""
    errors = []
    if not 0 < _len(modal.get("title")) <= MODAL_TITLE_MAX:
        errors.append(f"modal title: 1..{MODAL_TITLE_MAX} characters required")
    if not 0 < _len(modal.get("custom_id")) <= CUSTOM_ID_MAX:
        errors.append(f"modal custom_id: 1..{CUSTOM_ID_MAX} characters required")
    components = modal.get("components") or []
    if not 0 < len(components) <= MODAL_COMPONENTS_MAX:
        errors.append(f"modal components: 1..{MODAL_COMPONENTS_MAX} required, got {len(components)}")
    for i, row in enumerate(components):
        if row.get("type") == 18:  # a label around one component
            label, inputs = row.get("label"), [row.get("component") or {}]
            if _len(row.get("description")) > LABEL_DESCRIPTION_MAX:
                errors.append(f"components[{i}].description: more than {LABEL_DESCRIPTION_MAX} characters")
        elif row.get("type") == 1:
            inputs = row.get("components") or []
            label = inputs[0].get("label") if inputs else None
        else:
            errors.append(f"components[{i}]: type {row.get('type')} cannot sit in a modal here")
            continue
        if not 0 < _len(label) <= LABEL_MAX:
            errors.append(f"components[{i}].label: 1..{LABEL_MAX} characters required")
        for text in inputs:
            if text.get("type") != 4:
                continue
            high = text.get("max_length", TEXT_INPUT_VALUE_MAX)
            if not 0 < high <= TEXT_INPUT_VALUE_MAX or text.get("min_length", 0) > high:
                errors.append(f"components[{i}]: max_length {high} out of 1..{TEXT_INPUT_VALUE_MAX}")
            if _len(text.get("value")) > high:
                errors.append(f"components[{i}]: prefilled value longer than max_length")
    return errors
