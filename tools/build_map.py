"""Build scenarios/maps/corridor.toml: the jurisdiction raster of the Mesoamerican corridor.

The simulation needs a grid of the real region in which every cell is sea or belongs to one
jurisdiction (a Mexican state, a country, or a few sub-national units that matter for
trafficking). We build it offline from two public data sets that ship inside pip packages,
so anyone can rebuild it without network access or GIS tools:

* land/sea: ``global_land_mask`` 1.0.0 (GLOBE 1 km land mask, NOAA), queried at cell centres;
* jurisdiction: ``reverse_geocoder`` 1.5.1 (GeoNames cities >1000 people, CC-BY 4.0): each
  land cell takes the country ('cc') and first-level division ('admin1') of the nearest
  GeoNames place.

Nearest-city assignment is rough near borders, so we then apply a few explicit clean-ups
(straight US-Mexico border, no stray US cells south of it, isolated offshore pixels to sea).
The output is plain TOML that people are expected to read and edit by hand; this script is
only the reproducible starting point. It is deterministic: same packages and arguments give a
byte-identical file (pass ``--date`` to pin the date written in the header).

Usage:
    python tools/build_map.py --resolution 0.25 --out scenarios/maps/corridor.toml
    python tools/build_map.py --extent transit_zone --out scenarios/maps/transit_zone.toml

``--extent corridor`` (the default) is today's map, to 71 W; ``--extent transit_zone`` runs
the same steps on a box extended east to 59 W (Venezuela, the Antilles, Puerto Rico) with
extra features (Caribbean ports of entry, Venezuelan sources and strips, Hispaniola).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import sys
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import reverse_geocoder as rg
from global_land_mask import globe
from scipy.spatial import cKDTree

# Bounding box (degrees). Fixed per extent: the simulation's scenarios are written against it.
# EAST is set by --extent in main() (every other edge is shared, so both maps align cell by cell).
WEST, EAST, SOUTH, NORTH = -118.0, -71.0, 1.0, 33.0
EXTENT_EAST = {"corridor": -71.0, "transit_zone": -59.0}
SEA = "."

# reverse_geocoder admin1 string -> (ISO 3166-2 code, display name, raster symbol).
# Explicit so that an unexpected string fails loudly rather than silently mis-assigning a state.
MX_STATES: dict[str, tuple[str, str, str]] = {
    "Baja California": ("MX-BCN", "Baja California", "b"),
    "Baja California Sur": ("MX-BCS", "Baja California Sur", "a"),
    "Sonora": ("MX-SON", "Sonora", "s"),
    "Chihuahua": ("MX-CHH", "Chihuahua", "c"),
    "Coahuila": ("MX-COA", "Coahuila", "o"),
    "Nuevo Leon": ("MX-NLE", "Nuevo León", "n"),
    "Tamaulipas": ("MX-TAM", "Tamaulipas", "t"),
    "Sinaloa": ("MX-SIN", "Sinaloa", "i"),
    "Durango": ("MX-DUR", "Durango", "d"),
    "Zacatecas": ("MX-ZAC", "Zacatecas", "z"),
    "San Luis Potosi": ("MX-SLP", "San Luis Potosí", "l"),
    "Nayarit": ("MX-NAY", "Nayarit", "f"),
    "Jalisco": ("MX-JAL", "Jalisco", "j"),
    "Aguascalientes": ("MX-AGU", "Aguascalientes", "4"),
    "Guanajuato": ("MX-GUA", "Guanajuato", "g"),
    "Queretaro": ("MX-QUE", "Querétaro", "7"),
    "Hidalgo": ("MX-HID", "Hidalgo", "h"),
    "Veracruz": ("MX-VER", "Veracruz", "v"),
    "Colima": ("MX-COL", "Colima", "2"),
    "Michoacan": ("MX-MIC", "Michoacán", "m"),
    "Mexico": ("MX-MEX", "Estado de México", "e"),
    "Mexico City": ("MX-CMX", "Mexico City", "0"),
    "Morelos": ("MX-MOR", "Morelos", "1"),
    "Puebla": ("MX-PUE", "Puebla", "p"),
    "Tlaxcala": ("MX-TLA", "Tlaxcala", "3"),
    "Guerrero": ("MX-GRO", "Guerrero", "r"),
    "Oaxaca": ("MX-OAX", "Oaxaca", "x"),
    "Chiapas": ("MX-CHP", "Chiapas", "k"),
    "Tabasco": ("MX-TAB", "Tabasco", "u"),
    "Campeche": ("MX-CAM", "Campeche", "w"),
    "Yucatan": ("MX-YUC", "Yucatán", "y"),
    "Quintana Roo": ("MX-ROO", "Quintana Roo", "q"),
}

# Sub-national units kept separate outside Mexico: (cc, admin1) -> (code, name, symbol).
SUBNATIONAL: dict[tuple[str, str], tuple[str, str, str]] = {
    ("GT", "Peten"): ("GT-PE", "Petén", "P"),
    ("HN", "Gracias a Dios"): ("HN-GD", "Gracias a Dios", "M"),  # M for Mosquitia
    # Emberá and Guna Yala comarcas are separate admin1 units in GeoNames: they stay "PA".
    ("PA", "Darien"): ("PA-5", "Darién", "D"),
}

# Whole countries: ISO alpha-2 -> (English name, symbol). An unlisted country fails loudly.
COUNTRIES: dict[str, tuple[str, str]] = {
    "US": ("United States", "U"),
    "GT": ("Guatemala", "G"),
    "BZ": ("Belize", "Z"),
    "SV": ("El Salvador", "S"),
    "HN": ("Honduras", "H"),
    "NI": ("Nicaragua", "N"),
    "CR": ("Costa Rica", "C"),
    "PA": ("Panama", "A"),
    "CO": ("Colombia", "O"),
    "CU": ("Cuba", "Q"),
    "JM": ("Jamaica", "J"),
    "BS": ("Bahamas", "B"),
    "KY": ("Cayman Islands", "I"),
    "EC": ("Ecuador", "E"),
    "VE": ("Venezuela", "V"),
    "HT": ("Haiti", "T"),
    "DO": ("Dominican Republic", "R"),
    "TC": ("Turks and Caicos Islands", "K"),
    "AW": ("Aruba", "L"),
    "CW": ("Curaçao", "W"),
    # Only on the transit_zone extent (east of 71 W). Puerto Rico keeps its own code: its land
    # is routable (loads land on its coast and drive to San Juan), its port is a US port of entry.
    "PR": ("Puerto Rico (US)", "X"),
    "GY": ("Guyana", "Y"),
    "BR": ("Brazil", "F"),
    "TT": ("Trinidad and Tobago", "5"),
    "GD": ("Grenada", "6"),
    "BB": ("Barbados", "8"),
    "MQ": ("Martinique", "9"),
    "DM": ("Dominica", "@"),
    "GP": ("Guadeloupe", "&"),
    "AG": ("Antigua and Barbuda", "+"),
    "KN": ("Saint Kitts and Nevis", "*"),
    "VC": ("Saint Vincent and the Grenadines", "%"),
    "LC": ("Saint Lucia", "$"),
    "VI": ("US Virgin Islands", "="),
    "VG": ("British Virgin Islands", "!"),
    "BQ": ("Bonaire", "?"),
}

# US-Mexico border as (lon, lat) vertices, west to east; longitude is monotonic along it, so
# the border latitude at any longitude is a simple interpolation. Vertices are approximate
# (about 0.05 degrees), which is ample at 0.25-degree cells.
US_MX_BORDER = [
    (-117.13, 32.53),   # Pacific coast at Tijuana
    (-114.80, 32.72),   # Colorado River at Yuma (the river stretch is taken as due south)
    (-114.79, 32.49),   # San Luis: river leaves the border, straight line to Nogales begins
    (-111.07, 31.33),   # Nogales
    (-108.21, 31.33),   # Bootheel corner
    (-108.20, 31.78),
    (-106.53, 31.78),   # El Paso / Ciudad Juarez: the Rio Grande from here on
    (-106.00, 31.40),
    (-105.00, 30.68),
    (-104.37, 29.56),   # Presidio / Ojinaga
    (-103.78, 29.26),
    (-103.15, 28.97),   # Big Bend, southernmost point
    (-102.95, 29.19),   # Boquillas
    (-102.40, 29.78),
    (-101.56, 29.80),
    (-100.90, 29.36),   # Del Rio / Ciudad Acuna
    (-100.50, 28.70),   # Eagle Pass / Piedras Negras
    (-99.50, 27.50),    # Laredo / Nuevo Laredo
    (-99.16, 26.56),    # Falcon
    (-98.82, 26.37),    # Rio Grande City
    (-98.28, 26.07),    # McAllen / Reynosa
    (-97.50, 25.88),    # Brownsville / Matamoros
    (-97.15, 25.96),    # mouth of the Rio Grande
]

# Guatemala's borders with Mexico and Belize as a closed (lon, lat) polygon, approximate to
# ~0.05 deg. Nearest-city assignment gives much of western Peten to Chiapas and Tabasco
# (their towns are closer than Peten's few), so we impose the real, mostly straight, lines.
# South of the Suchiate mouth the polygon closes through the Pacific and El Salvador/Honduras;
# only Mexican and Belizean cells are ever moved by it, so that part is harmless.
GT_POLYGON = [
    (-89.15, 17.82),    # Belize-Mexico-Guatemala tripoint
    (-90.98, 17.82),    # parallel 17 49' N
    (-90.98, 17.25),    # meridian 90 59' W
    (-91.43, 17.25),    # parallel 17 15' N to the Usumacinta
    (-91.26, 17.17),    # up the Usumacinta (Piedras Negras)
    (-90.96, 16.90),    # Yaxchilan
    (-90.53, 16.48),    # Altar de Sacrificios: up the Salinas/Chixoy
    (-90.44, 16.07),    # parallel 16 04' N westwards
    (-91.73, 16.07),
    (-92.11, 15.13),    # Tacana volcano, then the Suchiate
    (-92.23, 14.53),    # Suchiate mouth on the Pacific
    (-92.23, 13.50),
    (-89.15, 13.50),
    (-89.15, 17.82),    # Belize's western border, meridian 89 09' W
]
PETEN_SOUTH = 16.0      # Peten's southern limit, roughly, against Alta Verapaz and Izabal

# Features: (kind, name, lat, lon, country, note). Real coordinates, 2 decimals.
# The box reaches 71 W and 1 N (beyond the "about 77 W, 7 N") so that Colombia's
# Caribbean coast (Cartagena ... Riohacha) and southern Pacific ports (Buenaventura,
# Tumaco), where the loads really leave from, lie inside it.
FEATURES = [
    ("port_of_entry", "Tijuana", 32.53, -117.02, "MX", ""),
    ("port_of_entry", "Mexicali", 32.63, -115.45, "MX", ""),
    ("port_of_entry", "Nogales", 31.31, -110.94, "MX", ""),
    ("port_of_entry", "Ciudad Juárez", 31.69, -106.42, "MX", ""),
    ("port_of_entry", "Ciudad Acuña", 29.32, -100.93, "MX", ""),
    ("port_of_entry", "Piedras Negras", 28.70, -100.52, "MX", ""),
    ("port_of_entry", "Nuevo Laredo", 27.48, -99.52, "MX", ""),
    ("port_of_entry", "Reynosa", 26.09, -98.28, "MX", ""),
    ("port_of_entry", "Matamoros", 25.87, -97.50, "MX", ""),
    ("source", "Cartagena", 10.40, -75.51, "CO", "caribbean"),
    ("source", "Barranquilla", 10.96, -74.80, "CO", "caribbean"),
    ("source", "Santa Marta", 11.24, -74.20, "CO", "caribbean"),
    ("source", "Riohacha", 11.54, -72.91, "CO", "caribbean"),
    ("source", "Turbo", 8.09, -76.73, "CO", "caribbean"),
    ("source", "Bahía Solano", 6.22, -77.40, "CO", "pacific"),
    ("source", "Buenaventura", 3.88, -77.03, "CO", "pacific"),
    ("source", "Tumaco", 1.80, -78.76, "CO", "pacific"),
    ("airstrip", "Cesar savannas (Valledupar)", 10.10, -73.60, "CO", "origin"),
    ("airstrip", "Córdoba-Sucre savannas", 9.00, -75.30, "CO", "origin"),
    ("airstrip", "Zulia (Venezuela)", 9.50, -72.40, "VE", "origin"),
    ("airstrip", "La Mosquitia (Gracias a Dios)", 15.30, -84.30, "HN", "landing"),
    ("airstrip", "Laguna del Tigre (Petén)", 17.40, -90.60, "GT", "landing"),
    ("airstrip", "Orange Walk", 17.90, -88.75, "BZ", "landing"),
    ("airstrip", "Chiapas Pacific coast (Pijijiapan)", 15.70, -93.20, "MX", "landing"),
    ("airstrip", "Escárcega (Campeche)", 18.50, -90.50, "MX", "landing"),
    ("airstrip", "Southern Quintana Roo", 18.70, -88.40, "MX", "landing"),
    ("airstrip", "San Fernando (Tamaulipas)", 24.80, -98.15, "MX", "landing"),
    ("airstrip", "Badiraguato (Sinaloa)", 25.36, -107.55, "MX", "landing"),
    ("airstrip", "Puerto Cabezas area (RACCN)", 14.20, -83.55, "NI", "landing"),
    ("seaport", "Manzanillo", 19.06, -104.31, "MX", ""),
    ("seaport", "Lázaro Cárdenas", 17.94, -102.18, "MX", ""),
    ("seaport", "Veracruz", 19.20, -96.13, "MX", ""),
    ("seaport", "Progreso", 21.28, -89.66, "MX", ""),
    ("seaport", "Puerto Quetzal", 13.92, -90.79, "GT", ""),
    ("seaport", "Santo Tomás de Castilla", 15.69, -88.62, "GT", ""),
    ("seaport", "Puerto Cortés", 15.84, -87.95, "HN", ""),
    ("seaport", "Puerto Limón", 9.99, -83.03, "CR", ""),
    ("seaport", "Colón", 9.36, -79.90, "PA", ""),
    ("seaport", "Balboa", 8.95, -79.57, "PA", ""),
    ("seaport", "Corinto", 12.48, -87.17, "NI", ""),
    ("seaport", "Acajutla", 13.57, -89.83, "SV", ""),
    ("biodiversity", "Maya Biosphere Reserve", 17.45, -90.15, "GT", ""),
    ("biodiversity", "Río Plátano Biosphere Reserve", 15.65, -85.10, "HN", ""),
    ("biodiversity", "Darién National Park", 7.90, -77.70, "PA", ""),
    ("biodiversity", "Bosawás Biosphere Reserve", 14.25, -85.10, "NI", ""),
    ("biodiversity", "Osa Peninsula (Corcovado)", 8.54, -83.57, "CR", ""),
    ("biodiversity", "Lacandon jungle (Montes Azules)", 16.35, -91.05, "MX", ""),
    ("migrant_origin", "San Pedro Sula", 15.50, -88.03, "HN", ""),
    ("migrant_origin", "Tegucigalpa", 14.07, -87.19, "HN", ""),
    ("migrant_origin", "Guatemala City", 14.63, -90.51, "GT", ""),
    ("migrant_origin", "San Salvador", 13.69, -89.19, "SV", ""),
    ("migrant_origin", "Managua", 12.13, -86.25, "NI", ""),
    ("migrant_origin", "Capurganá (Darién gap entry)", 8.63, -77.35, "CO", "darien"),
]

# Added on the transit_zone extent only: (kind, name, lat, lon, country, note, source). The
# source is written into the map beside the feature. Air cargo "strips" at Miami and San
# Juan sit on their port's cell, so a flight can end at a US port of entry.
UNODC12 = "UNODC 2012, Transnational Organized Crime in Central America and the Caribbean"
INCSR12 = "US State Dept., INCSR 2012"
TRANSIT_ZONE_FEATURES = [
    ("port_of_entry", "Miami", 25.77, -80.19, "US", "sea and air",
     "CBP port of entry; " + UNODC12 + ": Caribbean route to South Florida"),
    ("port_of_entry", "Port Everglades", 26.09, -80.12, "US", "sea",
     "CBP port of entry (Fort Lauderdale); " + UNODC12),
    ("port_of_entry", "San Juan", 18.45, -66.10, "PR", "sea and air",
     "CBP port of entry; " + UNODC12 + ": Puerto Rico as a gateway to the US"),
    ("source", "Guajira peninsula (Puerto Bolívar)", 12.22, -71.96, "CO", "caribbean", UNODC12),
    ("source", "Golfo de Morrosquillo (Tolú)", 9.52, -75.58, "CO", "caribbean", UNODC12),
    ("source", "Maracaibo", 10.65, -71.64, "VE", "caribbean",
     UNODC12 + ": Venezuela a departure hub after 2005"),
    ("source", "Paraguaná (Falcón)", 11.70, -70.20, "VE", "caribbean", UNODC12),
    ("source", "Paria peninsula (Güiria, Sucre)", 10.57, -62.30, "VE", "caribbean",
     UNODC12 + "; InSight Crime (Sucre's go-fast coast)"),
    ("airstrip", "Apure (Venezuela)", 7.10, -69.50, "VE", "origin",
     INCSR12 + ": flights to Honduras from Venezuelan strips (Apure, Zulia)"),
    ("airstrip", "Sur del Lago (Zulia)", 8.90, -71.90, "VE", "origin", INCSR12),
    ("airstrip", "Olancho (Catacamas)", 14.85, -85.90, "HN", "landing",
     INCSR12 + ": drug flights into Honduras 31 (2008), 54 (2009), ~100 (2011)"),
    ("airstrip", "Colón coast (Iriona)", 15.90, -85.20, "HN", "landing", INCSR12),
    ("airstrip", "Sayaxché (Petén)", 16.50, -90.20, "GT", "landing", UNODC12),
    ("airstrip", "Calakmul (Campeche)", 18.30, -89.80, "MX", "landing", UNODC12),
    ("airstrip", "Barahona-Pedernales (Dominican Republic)", 18.10, -71.30, "DO", "landing",
     INCSR12 + ": air tracks from Venezuela to Hispaniola"),
    ("airstrip", "Haiti south coast (Jacmel)", 18.25, -72.50, "HT", "landing", INCSR12),
    ("airstrip", "Miami air cargo", 25.77, -80.19, "US", "landing at a port of entry",
     "CBP port of entry (Miami International)"),
    ("airstrip", "San Juan air cargo", 18.45, -66.10, "PR", "landing at a port of entry",
     "CBP port of entry (Luis Muñoz Marín International)"),
    ("seaport", "Kingston", 17.97, -76.79, "JM", "", "UNODC 2012"),
    ("seaport", "Puerto Cabello", 10.47, -68.01, "VE", "", "UNODC 2012"),
    ("seaport", "Caucedo (Santo Domingo)", 18.43, -69.63, "DO", "", "UNODC 2012"),
]


# transit_zone only: stretches of international waters (beyond the 370-km zones) named by one
# cell centre each, so a scenario can put US maritime units (Coast Guard, JIATF-South) in one
# ocean. The Caribbean code covers the Gulf's and the Atlantic approaches' stretches too.
INTL_BASINS = [
    ("INTL-PAC", "Eastern Pacific (international waters)", 8.125, -106.125),
    ("INTL-CAR", "Caribbean, Gulf and Atlantic approaches (international waters)", 26.375, -65.875),
    ("INTL-CAR", "", 25.625, -91.875),
    ("INTL-CAR", "", 13.625, -78.375),
    ("INTL-CAR", "", 18.125, -81.625),
    ("INTL-CAR", "", 14.625, -66.625),
]


def grid(res: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre latitudes (north to south) and longitudes (west to east)."""
    ncol, nrow = round((EAST - WEST) / res), round((NORTH - SOUTH) / res)
    if not (np.isclose(ncol * res, EAST - WEST) and np.isclose(nrow * res, NORTH - SOUTH)):
        sys.exit(f"resolution {res} does not divide the box evenly")
    lats = NORTH - (np.arange(nrow) + 0.5) * res
    lons = WEST + (np.arange(ncol) + 0.5) * res
    return lats, lons


def jurisdiction_of(cc: str, admin1: str) -> str:
    """Map a GeoNames (country, admin1) pair to our jurisdiction code; unknown -> error."""
    if cc == "MX":
        if admin1 not in MX_STATES:
            raise SystemExit(f"unmapped Mexican admin1 {admin1!r}: add it to MX_STATES")
        return MX_STATES[admin1][0]
    if (cc, admin1) in SUBNATIONAL:
        return SUBNATIONAL[(cc, admin1)][0]
    if cc not in COUNTRIES:
        raise SystemExit(f"unlisted country {cc!r} (admin1 {admin1!r}): add it to COUNTRIES")
    return cc


def all_jurisdictions() -> dict[str, tuple[str, str, str]]:
    """code -> (name, country, symbol) for every jurisdiction we know how to produce."""
    out = {code: (name, "MX", sym) for code, name, sym in MX_STATES.values()}
    out.update({code: (name, cc, sym) for (cc, _), (code, name, sym) in SUBNATIONAL.items()})
    out.update({cc: (name, cc, sym) for cc, (name, sym) in COUNTRIES.items()})
    symbols = [s for _, _, s in out.values()]
    assert len(set(symbols)) == len(symbols), "raster symbols must be unique"
    # letters and digits ran out on the transit_zone extent: a few TOML-safe punctuation marks
    assert all(len(s) == 1 and s.isascii() and (s.isalnum() or s in "@&+*%$=!?") for s in symbols)
    return out


def geocode(lat2d: np.ndarray, lon2d: np.ndarray, land: np.ndarray) -> np.ndarray:
    """Jurisdiction code per cell ('' for sea), from one vectorised reverse_geocoder call.

    mode=1 is single-process, so the result does not depend on worker scheduling.
    """
    codes = np.full(land.shape, "", dtype=object)
    pts = list(zip(lat2d[land].tolist(), lon2d[land].tolist()))
    with contextlib.redirect_stdout(io.StringIO()):  # rg prints a loading message
        hits = rg.search(pts, mode=1)
    codes[land] = [jurisdiction_of(h["cc"], h["admin1"]) for h in hits]
    return codes


def country(code: str) -> str:
    return code.split("-")[0]


def reassign(codes: np.ndarray, cells: np.ndarray, allowed) -> None:
    """Give each cell in the boolean mask `cells` the code of its nearest cell (in grid
    distance) whose code satisfies `allowed`; ties resolve deterministically by cKDTree."""
    if not cells.any():
        return
    ok = np.vectorize(lambda c: c != "" and allowed(c), otypes=[bool])(codes) & ~cells
    donors = np.argwhere(ok)
    _, idx = cKDTree(donors).query(np.argwhere(cells))
    for (r, c), i in zip(np.argwhere(cells), idx):
        codes[r, c] = codes[tuple(donors[i])]


def fix_us_mexico_border(codes, lat2d, lon2d) -> tuple[int, int]:
    """Make the border a clean line: within its longitude span, US or Mexican land cells whose
    centre lies north of the border become US, those south of it become Mexican (state taken
    from the nearest Mexican cell). Also no US cell anywhere south of 25 N west of 90 W."""
    bx, by = zip(*US_MX_BORDER)
    border_lat = np.interp(lon2d, bx, by)
    in_span = (lon2d >= bx[0]) & (lon2d <= bx[-1])
    is_us = codes == "US"
    is_mx = np.vectorize(lambda c: country(c) == "MX", otypes=[bool])(codes)
    north = in_span & (lat2d > border_lat)
    to_us = north & is_mx
    to_mx = (in_span & ~north & is_us) | (is_us & (lat2d < 25.0) & (lon2d < -90.0))
    codes[to_us] = "US"
    reassign(codes, to_mx, lambda c: country(c) == "MX")
    return int(to_us.sum()), int(to_mx.sum())


def inside(poly, lon, lat) -> np.ndarray:
    """Even-odd point-in-polygon test for arrays of points."""
    res = np.zeros(np.shape(lon), dtype=bool)
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        crosses = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        res ^= crosses & (lon < xint)
    return res


def fix_guatemala(codes, lat2d, lon2d) -> int:
    """Impose Guatemala's borders with Mexico and Belize (GT_POLYGON) and split Peten at
    PETEN_SOUTH. Mexican or Belizean cells inside become Guatemalan; Guatemalan cells outside
    (west of Belize, north of 14.5 N) become Mexican, or Belizean east of 89 09' W; Belizean
    cells west of 89 09' W and outside Guatemala become Mexican."""
    gt = inside(GT_POLYGON, lon2d, lat2d)
    cty = np.vectorize(country, otypes=[object])(codes)
    moved = 0
    to_gt = gt & ((cty == "MX") | (cty == "BZ"))
    codes[to_gt] = "GT"
    moved += int(to_gt.sum())
    outside_gt = ~gt & (cty == "GT")
    to_bz = outside_gt & (lon2d > -89.15) & (lat2d > 15.9) & (lat2d < 17.82)
    to_mx = (outside_gt | (~gt & (cty == "BZ"))) & (lon2d < -89.15) & (lat2d > 14.5)
    codes[to_bz] = "BZ"
    reassign(codes, to_mx, lambda c: country(c) == "MX")
    moved += int(to_bz.sum() + to_mx.sum())
    is_gt = gt & np.isin(codes, ["GT", "GT-PE"])
    codes[is_gt & (lat2d > PETEN_SOUTH)] = "GT-PE"
    codes[is_gt & (lat2d < PETEN_SOUTH)] = "GT"
    return moved


def drop_isolated_islands(codes, radius: int = 3) -> list[tuple[int, int, str]]:
    """Turn single land pixels with no other land within `radius` cells into sea: they are
    mostly remote islets (Revillagigedo, Clipperton, reefs) that only add noise to routing."""
    land = codes != ""
    dropped = []
    nrow, ncol = land.shape
    for r, c in np.argwhere(land):
        win = land[max(r - radius, 0):r + radius + 1, max(c - radius, 0):c + radius + 1]
        if win.sum() == 1:
            dropped.append((int(r), int(c), codes[r, c]))
    for r, c, _ in dropped:
        codes[r, c] = ""
    return dropped


def place_features(codes, res: float, rows: list[tuple]) -> tuple[list[dict], list[str]]:
    """Put every feature on a land cell of its own country: the simulation attaches features
    to cells, and a port of entry must be on the Mexican side. A feature on a sea cell (coastal
    ports, usually) or on another country's cell (it straddles a border) moves to the nearest
    cell of its country, by the smallest shift that lands 0.02 deg inside that cell; the
    original position goes into its note."""
    nrow, ncol = codes.shape
    cell_s = NORTH - (np.arange(nrow)[:, None] + 1) * res + 0 * np.arange(ncol)[None, :]
    cell_w = WEST + np.arange(ncol)[None, :] * res + 0 * np.arange(nrow)[:, None]
    out, report = [], []
    for kind, name, lat, lon, cc, note, *source in rows:
        if not (WEST < lon < EAST and SOUTH < lat < NORTH):
            raise SystemExit(f"feature {name} ({lat}, {lon}) is outside the box")
        r, c = int((NORTH - lat) // res), int((lon - WEST) // res)
        here = codes[r, c]
        def ok(j, cc=cc):
            return j != "" and country(j) == cc
        if not ok(here):
            good = np.vectorize(lambda j: j != "" and ok(j), otypes=[bool])(codes)
            m = 0.02  # margin inside the target cell
            nlat = np.clip(lat, cell_s + m, cell_s + res - m)
            nlon = np.clip(lon, cell_w + m, cell_w + res - m)
            d = np.where(good, np.hypot(nlat - lat, nlon - lon), np.inf)
            r2, c2 = np.unravel_index(int(np.argmin(d)), d.shape)
            nlat, nlon = round(float(nlat[r2, c2]), 2), round(float(nlon[r2, c2]), 2)
            why = "a sea cell" if here == "" else f"a {here} cell"
            msg = f"nudged from ({lat:.2f}, {lon:.2f}), which falls on {why} at 0.25 deg"
            note = f"{note}; {msg}" if note else msg
            report.append(f"{kind} {name}: {msg} -> ({nlat}, {nlon}) [{codes[r2, c2]}]")
            lat, lon, here = nlat, nlon, codes[r2, c2]
        out.append({"kind": kind, "name": name, "lat": lat, "lon": lon, "country": cc,
                    "note": note, "cell": here, "source": source[0] if source else ""})
    return out, report


def q(s: str) -> str:
    """TOML basic string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Per-extent header lines and map name; the corridor's are frozen so that it rebuilds
# byte-identical (its "164 characters" predates the box's widening to 71 W: lines are 188).
HEADERS = {
    "corridor": ("Mesoamerican corridor", [
        "# Corridor: jurisdiction raster of the Mesoamerican corridor (Mexico, Central America,",
        "# the US border, Colombia's Choco corner, and the nearby Caribbean islands).",
    ], 164),
    "transit_zone": ("Americas transit zone", [
        "# Corridor: jurisdiction raster of the whole transit zone (Mexico, Central America, the US",
        "# border and Florida, Colombia's and Venezuela's coasts, the Caribbean islands to 59 W).",
        "# Puerto Rico is coded PR (country PR): its land is routable, San Juan is a US port of entry.",
    ], None),
}


def render(codes, res: float, features: list[dict], date: str, cmd: str,
           extent: str = "corridor") -> str:
    """Write the TOML text: header, [map] with the raster, jurisdictions, features."""
    juris = all_jurisdictions()
    sym = {code: s for code, (_, _, s) in juris.items()}
    rows = ["".join(SEA if j == "" else sym[j] for j in row) for row in codes]
    present = {j for j in codes.ravel() if j}
    # Order jurisdiction tables by country then code, so diffs stay small and readable.
    order = sorted(present, key=lambda j: (juris[j][1], j))
    title, intro, width = HEADERS[extent]
    width = width or len(rows[0])
    L = [
        *intro,
        "#",
        f"# Built by: {cmd}",
        f"# Built on: {date}",
        "# Data sources:",
        "#   - land/sea: global-land-mask 1.0.0 (GLOBE 1-km land mask, NOAA), at each cell centre;",
        "#   - jurisdiction: GeoNames cities via reverse_geocoder 1.5.1 (CC-BY 4.0): each land cell",
        "#     takes the country and admin1 of its nearest GeoNames place. Borders are therefore",
        "#     approximate (a cell or so); the US-Mexico border was straightened to the real line,",
        "#     and isolated one-cell islets far offshore were turned into sea.",
        "#",
        "# How to edit (by hand is fine; this file is the source of truth once committed):",
        f"#   - change a cell: replace its character in the raster (keep each line {width} characters;",
        "#     '.' is sea, any other character must be the symbol of a [[jurisdiction]] below);",
        "#   - add a jurisdiction: add a [[jurisdiction]] table with a new unique symbol",
        "#     (one letter or digit), then use that symbol in the raster;",
        "#   - add a feature: add a [[feature]] table (kind is one of port_of_entry, source,",
        "#     airstrip, seaport, biodiversity, migrant_origin).",
        "",
        "[map]",
        f"name = {q(title)}",
        f"resolution_deg = {res}",
        f"west = {WEST}",
        f"east = {EAST}",
        f"south = {SOUTH}",
        f"north = {NORTH}",
        f'sea_symbol = "{SEA}"',
        "# rows run north to south; row r, column c has its centre at"
        " lon = west + (c + 0.5) * res, lat = north - (r + 0.5) * res",
        'raster = """',
        *rows,
        '"""',
        "",
    ]
    for j in order:
        name, cc, s = juris[j]
        L += ["[[jurisdiction]]", f"code = {q(j)}", f"name = {q(name)}",
              f"country = {q(cc)}", f"symbol = {q(s)}", ""]
    if extent == "transit_zone":
        L += ["# Named stretches of international waters (geography.py: the connected stretch",
              "# around each point takes the code; a code may name several).", ""]
        for code, name, lat, lon in INTL_BASINS:
            L += ["[[international_waters]]", f"code = {q(code)}", *([f"name = {q(name)}"] if name else []),
                  f"lat = {lat}", f"lon = {lon}", ""]
    for f in features:
        L += ["[[feature]]", f"kind = {q(f['kind'])}", f"name = {q(f['name'])}",
              f"lat = {f['lat']:.2f}", f"lon = {f['lon']:.2f}", f"country = {q(f['country'])}"]
        if f["note"]:
            L.append(f"note = {q(f['note'])}")
        if f["source"]:
            L.append(f"source = {q(f['source'])}")
        L.append("")
    return "\n".join(L)


def verify(text: str, res: float) -> None:
    """Re-read the file as the simulation would and check its invariants."""
    doc = tomllib.loads(text)
    m = doc["map"]
    rows = m["raster"].split("\n")
    if rows and rows[-1] == "":
        rows = rows[:-1]
    ncol, nrow = round((m["east"] - m["west"]) / res), round((m["north"] - m["south"]) / res)
    assert len(rows) == nrow and all(len(r) == ncol for r in rows), "raster shape"
    symbols = {j["symbol"] for j in doc["jurisdiction"]}
    used = set("".join(rows)) - {m["sea_symbol"]}
    assert used <= symbols, f"symbols without a jurisdiction row: {used - symbols}"
    sym_country = {j["symbol"]: j["country"] for j in doc["jurisdiction"]}
    for f in doc["feature"]:
        r, c = int((m["north"] - f["lat"]) // res), int((f["lon"] - m["west"]) // res)
        assert rows[r][c] != m["sea_symbol"], f"{f['name']} on sea"
        assert sym_country[rows[r][c]] == f["country"], f"{f['name']} on another country"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resolution", type=float, default=0.25, help="cell size in degrees")
    ap.add_argument("--extent", choices=sorted(EXTENT_EAST), default="corridor",
                    help="corridor: today's box to 71 W; transit_zone: to 59 W with Caribbean features")
    ap.add_argument("--out", type=Path, default=None,
                    help="output file (default scenarios/maps/<extent>.toml)")
    ap.add_argument("--date", default=dt.date.today().isoformat(),
                    help="date written in the header (pin it for byte-identical rebuilds)")
    args = ap.parse_args()
    res = args.resolution
    global EAST  # the box's one varying edge; grid() and place_features() read it
    EAST = EXTENT_EAST[args.extent]
    args.out = args.out or Path(f"scenarios/maps/{args.extent}.toml")
    rows = FEATURES + (TRANSIT_ZONE_FEATURES if args.extent == "transit_zone" else [])

    lats, lons = grid(res)
    lon2d, lat2d = np.meshgrid(lons, lats)
    land = globe.is_land(lat2d, lon2d)
    codes = geocode(lat2d, lon2d, land)
    n_us, n_mx = fix_us_mexico_border(codes, lat2d, lon2d)
    n_gt = fix_guatemala(codes, lat2d, lon2d)
    dropped = drop_isolated_islands(codes)
    features, nudges = place_features(codes, res, rows)

    cmd = f"python tools/build_map.py --resolution {res} --out {args.out.as_posix()}"
    if args.extent != "corridor":
        cmd = f"python tools/build_map.py --extent {args.extent} --resolution {res} --out {args.out.as_posix()}"
    text = render(codes, res, features, args.date, cmd, args.extent)
    verify(text, res)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")

    print(f"wrote {args.out}: {len(lats)} rows x {len(lons)} cols, {int((codes != '').sum())} land cells")
    print(f"border fix: {n_us} cells -> US, {n_mx} cells -> Mexico; {n_gt} cells moved at"
          f" Guatemala's borders; dropped {len(dropped)} islets:"
          f" {[(round(float(lats[r]), 3), round(float(lons[c]), 3), j) for r, c, j in dropped]}")
    for line in nudges:
        print("feature:", line)
    counts = Counter(j for j in codes.ravel() if j)
    for j, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {j:7s} {n:5d}")


if __name__ == "__main__":
    main()
