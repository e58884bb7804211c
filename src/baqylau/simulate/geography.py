"""A synthetic administrative tree: country → regions → districts → polling stations.

Pure numpy, no Django. Everything is vectorised: stations are laid out region by region and
district by district (contiguous blocks), so a station's region and district are plain index
arrays and "all stations of district d" is a slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Kinds of closed stations, as stored in `Geography.station_closed` (0 = an open station).
CLOSED_KINDS = ("", "military", "hospital", "detention")
_CLOSED_PROBS = (0.5, 0.35, 0.15)


def auto_regions(n_stations: int) -> int:
    """20 regions for a Kazakhstan-sized election (10,000 stations), growing slowly with size."""
    regions = round(20 * (n_stations / 10_000) ** 0.25)
    return int(np.clip(regions, 1, min(99, max(1, n_stations // 10))))


def auto_districts(n_stations: int, n_regions: int) -> int:
    """~230 districts for 10,000 stations (~43 stations each), more stations per district above."""
    districts = round(230 * (n_stations / 10_000) ** 0.75)
    return int(min(max(districts, n_regions), max(n_regions, n_stations // 2)))


def largest_remainder(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, each at least `minimum` (exact sum)."""
    weights = np.asarray(weights, dtype=np.float64)
    k = weights.size
    spare = total - minimum * k
    if spare < 0:
        raise ValueError(f"cannot give {k} parts at least {minimum} each out of {total}")
    quota = spare * weights / weights.sum()
    base = np.floor(quota).astype(np.int64)
    left = spare - int(base.sum())
    if left:
        # stable order: largest fractional part first, ties by position
        order = np.argsort(-(quota - base), kind="stable")[:left]
        base[order] += 1
    return base + minimum


@dataclass
class Geography:
    """The unit tree as parallel arrays (R regions, D districts, N stations)."""

    region_code: np.ndarray  # (R,) str, "01"
    region_is_city: np.ndarray  # (R,) bool, a city of republican significance
    district_code: np.ndarray  # (D,) str, region code + number within the region, "0105"
    district_region: np.ndarray  # (D,) int32
    district_urban: np.ndarray  # (D,) bool
    district_abroad: np.ndarray  # (D,) bool, the district of stations abroad
    station_district: np.ndarray  # (N,) int32
    station_region: np.ndarray  # (N,) int32
    station_number: np.ndarray  # (N,) int32, numbered within the region from 1
    station_urban: np.ndarray  # (N,) bool
    station_abroad: np.ndarray  # (N,) bool
    station_closed: np.ndarray  # (N,) int8, index into CLOSED_KINDS


def build_geography(
    rng: np.random.Generator,
    *,
    n_stations: int,
    n_regions: int,
    n_districts: int,
    abroad_share: float,
    closed_share: float,
    city_region_share: float,
    urban_district_share: float,
) -> Geography:
    if n_stations < 1 or n_regions < 1:
        raise ValueError("need at least one station and one region")
    n_abroad = round(abroad_share * n_stations) if n_stations >= 100 else 0
    n_abroad = min(n_abroad, n_stations - n_regions)
    has_abroad = n_abroad > 0
    n_home_districts = n_districts - int(has_abroad)
    if n_home_districts < n_regions:
        n_home_districts = n_regions
    n_home = n_stations - n_abroad
    if n_home < n_home_districts:
        raise ValueError(f"{n_home} stations cannot fill {n_home_districts} districts")

    # Regions: the first few are cities (capital first), weights are skewed.
    region_weight = rng.lognormal(0.0, 0.45, size=n_regions)
    n_cities = min(n_regions, max(1, round(city_region_share * n_regions))) if n_regions > 2 else 0
    region_is_city = np.zeros(n_regions, dtype=bool)
    region_is_city[:n_cities] = True
    region_weight[:n_cities] *= 1.6
    width_r = max(2, len(str(n_regions)))
    region_code = np.char.zfill(np.arange(1, n_regions + 1).astype(str), width_r)

    # Districts: at least one per region, proportional to region weight.
    per_region = largest_remainder(region_weight, n_home_districts, minimum=1)
    district_region = np.repeat(np.arange(n_regions, dtype=np.int32), per_region)
    first_of_region = np.r_[0, np.cumsum(per_region)[:-1]]
    index_in_region = np.arange(n_home_districts) - first_of_region[district_region]
    # A regional centre (first district of a region) is a town; a few more are urban.
    district_urban = region_is_city[district_region] | (index_in_region == 0)
    district_urban |= rng.random(n_home_districts) < urban_district_share
    district_weight = region_weight[district_region] / per_region[district_region]
    district_weight *= rng.lognormal(0.0, 0.35, size=n_home_districts)
    district_weight *= np.where(district_urban, 1.4, 1.0)
    district_abroad = np.zeros(n_home_districts, dtype=bool)
    if has_abroad:  # stations abroad form one more district of the capital (region 0)
        insert_at = int(per_region[0])
        district_region = np.insert(district_region, insert_at, 0)
        index_in_region = np.insert(index_in_region, insert_at, per_region[0])
        district_urban = np.insert(district_urban, insert_at, True)
        district_abroad = np.insert(district_abroad, insert_at, True)
    n_d = district_region.size
    width_d = max(2, len(str(int(index_in_region.max()) + 1)))
    district_code = np.char.add(
        region_code[district_region], np.char.zfill((index_in_region + 1).astype(str), width_d)
    )

    # Stations: at least one per district, contiguous blocks in district order.
    home_counts = largest_remainder(district_weight, n_home, minimum=1)
    counts = np.empty(n_d, dtype=np.int64)
    counts[~district_abroad] = home_counts
    counts[district_abroad] = n_abroad
    station_district = np.repeat(np.arange(n_d, dtype=np.int32), counts)
    station_region = district_region[station_district].astype(np.int32)
    region_first_station = np.searchsorted(station_region, np.arange(n_regions))
    station_number = (np.arange(n_stations) - region_first_station[station_region] + 1).astype(
        np.int32
    )
    station_abroad = district_abroad[station_district]
    station_urban = district_urban[station_district] & ~station_abroad

    closed = (rng.random(n_stations) < closed_share) & ~station_abroad
    kind = 1 + np.searchsorted(np.cumsum(_CLOSED_PROBS), rng.random(n_stations), side="right")
    station_closed = np.where(closed, np.minimum(kind, len(CLOSED_KINDS) - 1), 0).astype(np.int8)

    return Geography(
        region_code=region_code,
        region_is_city=region_is_city,
        district_code=district_code,
        district_region=district_region.astype(np.int32),
        district_urban=district_urban,
        district_abroad=district_abroad,
        station_district=station_district,
        station_region=station_region,
        station_number=station_number,
        station_urban=station_urban,
        station_abroad=station_abroad,
        station_closed=station_closed,
    )


def station_sizes(rng: np.random.Generator, geo: Geography, registered_total: int) -> np.ndarray:
    """Registered voters per station: skewed sizes, scaled to exactly `registered_total`."""
    n = geo.station_number.size
    urban = geo.station_urban
    abroad = geo.station_abroad
    closed = geo.station_closed > 0
    z = rng.standard_normal(n)
    # urban stations: most 800–2,500, some up to 5,000; rural: many small villages
    size = np.where(urban, 1650.0 * np.exp(0.42 * z), 620.0 * np.exp(0.8 * z))
    size = np.where(closed, 160.0 * np.exp(0.7 * z), size)
    size = np.where(abroad, 260.0 * np.exp(0.9 * z), size)
    low = np.where(urban & ~closed, 250.0, 12.0)
    size = np.clip(size, low, 5200.0)
    if registered_total < n:
        raise ValueError("fewer registered voters than stations")
    return largest_remainder(size, registered_total, minimum=1)


def region_names(codes: np.ndarray, is_city: np.ndarray) -> dict[str, np.ndarray]:
    names = {
        "en": np.where(is_city, np.char.add("City ", codes), np.char.add("Region ", codes)),
        "ru": np.where(is_city, np.char.add("Город ", codes), np.char.add("Область ", codes)),
        "kk": np.where(is_city, np.char.add(codes, " қаласы"), np.char.add(codes, " облысы")),
    }
    return names


def district_names(
    codes: np.ndarray, urban: np.ndarray, abroad: np.ndarray
) -> dict[str, np.ndarray]:
    def pick(town: str, rural: str, foreign: str, *, suffix: bool) -> np.ndarray:
        prefix = np.where(abroad, foreign, np.where(urban, town, rural))
        return np.char.add(codes, prefix) if suffix else np.char.add(prefix, codes)

    return {
        "en": pick("City district ", "District ", "Abroad ", suffix=False),
        "ru": pick("Городской округ ", "Район ", "Зарубежные участки ", suffix=False),
        "kk": pick(" қалалық округі", " ауданы", " шетелдегі учаскелер", suffix=True),
    }


def station_names(numbers: np.ndarray) -> dict[str, np.ndarray]:
    n = numbers.astype(str)
    return {
        "en": np.char.add("Polling station No. ", n),
        "ru": np.char.add("Избирательный участок № ", n),
        "kk": np.char.add(np.char.add("№ ", n), " сайлау учаскесі"),
    }
