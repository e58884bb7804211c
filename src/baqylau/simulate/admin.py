from django.contrib import admin

from baqylau.simulate.models import Simulation


@admin.register(Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ["election", "seed", "stations", "manipulated", "created_at"]
    list_select_related = ["election"]
    search_fields = ["election__code"]
    readonly_fields = ["election", "seed", "config", "summary", "ground_truth", "created_at"]

    @admin.display(description="stations")
    def stations(self, obj: Simulation) -> int | None:
        return obj.summary.get("stations")

    @admin.display(description="manipulated stations")
    def manipulated(self, obj: Simulation) -> int | None:
        return obj.summary.get("manipulated")

    def has_add_permission(self, request) -> bool:
        return False
