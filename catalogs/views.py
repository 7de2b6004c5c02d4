from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .models import Catalog


@login_required
def catalog_list(request):
    catalogs = Catalog.objects.all()
    return render(request, "catalogs/list.html", {"catalogs": catalogs})


@login_required
def catalog_detail(request, code):
    catalog = get_object_or_404(Catalog, code=code)
    return render(request, "catalogs/detail.html", {"catalog": catalog, "entries": catalog.entries.select_related("parent")})
