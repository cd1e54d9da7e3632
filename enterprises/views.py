from django.shortcuts import render


def enterprise_list(request):
    return render(request, "enterprises/enterprise_list.html", {})
