from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def render_tree(roots, day, query=""):
    """The tree as nested lists; built in Python because a template include per node is too slow for 1,500 units."""
    base = reverse("orgs:unit", args=[0])[:-2]
    suffix = f"/?as_of={day:%Y-%m-%d}"
    parts = []

    def node(item, depth):
        version = item.version
        label = format_html('<a href="{}{}{}">{}</a> <span class="code">{}</span> <span class="tag">{}</span>',
                            base, version.unit_id, suffix, version.name, version.code, version.kind.name)
        if not item.children:
            parts.append(format_html('<li role="treeitem">{}</li>', label))
            return
        is_open = " open" if query or depth == 0 else ""
        parts.append(format_html('<li role="treeitem"><details{}><summary>{}</summary><ul role="group">', is_open, label))
        for child in item.children:
            node(child, depth + 1)
        parts.append(mark_safe("</ul></details></li>"))  # noqa: S308

    for root in roots:
        node(root, 0)
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html
