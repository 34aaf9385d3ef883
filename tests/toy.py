"""Tiny hand-made corridors for tests whose answers can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

# Two land corridors from a source on the southern row to a port of entry on the
# northern row (both rows belong to a neutral jurisdiction n), separated by water that
# boats may not use (max_offshore_km = 0). Source and port sit in column 4, so the west
# corridor (w) is 4 + 6 + 4 hops and the east one (e) 8 + 6 + 8: unenforced, all loads go west.
TWO_CORRIDORS = [
    "UUUUUUUUUUUUU",
    "nnnnnnnnnnnnn",
    "w...........e",
    "w...........e",
    "w...........e",
    "w...........e",
    "w...........e",
    "w...........e",
    "nnnnnnnnnnnnn",
]



def map_header(name: str, raster: str, res: float, west: float, south: float) -> str:
    """The [map] table of a toy map: its raster of rows (north first) from `west`, `south`."""
    north = south + len(raster.split("\n")) * res
    return (f'[map]\nname = "{name}"\nresolution_deg = {res}\nwest = {west}\nsouth = {south}\n'
            f'north = {north}\nsea_symbol = "."\nraster = """\n{raster}\n"""\n')

def write_two_corridors(folder: Path, biodiversity: bool = False) -> Path:
    """Write the toy map; the port of entry sits at the north-west, the source at the south-west
    (and, with `biodiversity`, a biodiversity area on the source, for wildlife)."""
    res = 0.25
    west, south = -100.0, 10.0
    rows = TWO_CORRIDORS
    height = len(rows)
    north = south + height * res

    def centre(col, row_from_north):
        return (north - (row_from_north + 0.5) * res, west + (col + 0.5) * res)

    port = centre(4, 1)
    source = centre(4, height - 1)
    raster = "\n".join(rows)
    text = map_header("two corridors", raster, res, west, south) + f'''
[[jurisdiction]]
code = "US"
name = "Destination"
country = "US"
symbol = "U"

[[jurisdiction]]
code = "XW"
name = "West corridor"
country = "XW"
symbol = "w"

[[jurisdiction]]
code = "XN"
name = "Neutral ends"
country = "XN"
symbol = "n"

[[jurisdiction]]
code = "XE"
name = "East corridor"
country = "XE"
symbol = "e"

[[feature]]
kind = "port_of_entry"
name = "Port"
lat = {port[0]}
lon = {port[1]}

[[feature]]
kind = "source"
name = "Source"
lat = {source[0]}
lon = {source[1]}

[[feature]]
kind = "migrant_origin"
name = "Origin"
lat = {source[0]}
lon = {source[1]}
'''
    if biodiversity:
        text += f'''
[[feature]]
kind = "biodiversity"
name = "Forest"
lat = {source[0]}
lon = {source[1]}
'''
    path = Path(folder) / "two_corridors.toml"
    path.write_text(text)
    return path


def one_cartel_scenario(name: str, steps: int, policy: str, *, tonnes: float | None = None,
                        header: str = "", sections: str = "") -> str:
    """A scenario on the two-corridor map: cartel A ships five loads a month from Source to Port.

    `policy` is the body of its one [[policy]] row on the west corridor (XW), which holds no
    strategy of its own, so the row alone sets its enforcement.
    """
    tonnes_line = "" if tonnes is None else f"tonnes_per_shipment = {tonnes}\n"
    return f'''[scenario]
name = "{name}"
steps = {steps}
map = "two_corridors.toml"
{header}
[routing]
max_offshore_km = 0
speed_km_per_step = 200
risk_decay = 0.3

[[cartel]]
name = "A"
sources = ["Source"]
ports_of_entry = ["Port"]
shipments_per_step = 5
{tonnes_line}arms_per_tonne = 0

[jurisdictions.XW]
strategy = "static"
{sections}
[[policy]]
lever = "enforcement_units"
target = ["XW"]
{policy}'''


def write_toy_crackdown(folder: Path, steps: int = 12, start: int = 3, window: int = 5,
                        people_per_agent: int = 10) -> Path:
    """A scenario file on the two-corridor map: enforcement on the west corridor from `start`.

    The policy starts off the `output.window` grid (3 vs blocks of 5), as the shipped
    crackdown does (35 vs 12), so outputs that sum whole blocks from month 0 disagree.
    """
    folder = Path(folder)
    write_two_corridors(folder)
    path = folder / "toy_crackdown.toml"
    migrants = (f"\n[migrants]\npeople_per_agent = {people_per_agent}\n\n[[migrants.origins]]\n"
                f'name = "Origin"\nagents_per_step = 1.5\n\n[output]\nwindow = {window}\n')
    path.write_text(one_cartel_scenario("toy_crackdown", steps, f"start = {start}\nvalue = 12\n",
                                        header="seed = 5\n", sections=migrants))
    return path


# Three land corridors from a source on the southern row to a port of entry on the northern
# row, both in column 6, separated by water boats may not use (max_offshore_km = 0). Corridor
# 1 (column 4, jurisdiction XA) is about 2 + 12 + 2 hops long, corridor 2 (column 1, XB)
# 5 + 12 + 5, corridor 3 (column 13, XC) 7 + 12 + 7: costs about 1 : 1.4 : 1.6. Corridor 1
# keeps two cells from the port and the source, so seizures there (whose learned risk
# spreads to neighbouring cells) do not tilt the choice between corridors.
THREE_CORRIDORS = ["UUUUUUUUUUUUUU", "nnnnnnnnnnnnnn"] + [".b..a........c"] * 12 + ["nnnnnnnnnnnnnn"]
THREE_COLUMNS = (4, 1, 13)    # corridors 1, 2, 3


def write_three_corridors(folder: Path) -> Path:
    """Write the three-corridor map (port of entry and source both in column 6)."""
    res, west, south = 0.25, -100.0, 10.0
    rows = THREE_CORRIDORS
    north = south + len(rows) * res

    def centre(col, row_from_north):
        return (north - (row_from_north + 0.5) * res, west + (col + 0.5) * res)

    port, source = centre(6, 1), centre(6, len(rows) - 1)
    jurisdictions = [("US", "Destination", "U"), ("XN", "Neutral ends", "n"), ("XA", "Corridor 1", "a"),
                     ("XB", "Corridor 2", "b"), ("XC", "Corridor 3", "c")]
    text = map_header("three corridors", chr(10).join(rows), res, west, south)
    for code, name, symbol in jurisdictions:
        text += f'''
[[jurisdiction]]
code = "{code}"
name = "{name}"
country = "{code}"
symbol = "{symbol}"
'''
    for kind, name, (lat, lon) in (("port_of_entry", "Port", port), ("source", "Source", source)):
        text += f'''
[[feature]]
kind = "{kind}"
name = "{name}"
lat = {lat}
lon = {lon}
'''
    path = Path(folder) / "three_corridors.toml"
    path.write_text(text)
    return path


# A country XA with a sub-region XA-S (country XA), a second country XB and the US to the
# north; every cell is land, so the map has one cell per symbol and no sea.
REGIONS = [
    "UUUU",
    "aass",
    "bbbb",
]


def write_regions(folder: Path) -> Path:
    """Write the region map (for policy resolution tests: country, then sub-region)."""
    res, west, south = 0.25, -100.0, 10.0
    north = south + len(REGIONS) * res
    raster = "\n".join(REGIONS)
    path = Path(folder) / "regions.toml"
    path.write_text(map_header("regions", raster, res, west, south) + f'''
[[jurisdiction]]
code = "US"
name = "Destination"
country = "US"
symbol = "U"

[[jurisdiction]]
code = "XA"
name = "Country A"
country = "XA"
symbol = "a"

[[jurisdiction]]
code = "XA-S"
name = "South of A"
country = "XA"
symbol = "s"

[[jurisdiction]]
code = "XB"
name = "Country B"
country = "XB"
symbol = "b"

[[feature]]
kind = "port_of_entry"
name = "Port"
lat = {north - 0.5 * res}
lon = {west + 0.5 * res}
''')
    return path


# A coast: Pacific water on the west (it holds the Eastern Pacific anchor of
# model.metrics, 10°N 90°W), and on the east Colombia (source, south), Guatemala and
# Mexico (ports of entry on the US row). An origin airstrip sits on the source, a landing
# strip next to the eastern port: loads can go overland, by sea along the coast, or fly.
COAST = [
    "UUUUUUUUUUUU",
    "......mmmmmm",
    "......mmmmmm",
    "......gggggg",
    "......gggggg",
    "......gggggg",
    "......cccccc",
    "......cccccc",
    "......cccccc",
    "......cccccc",
]


def write_coast(folder: Path) -> Path:
    """Write the coast map (for the outputs by mode and vector)."""
    res, west, south = 0.25, -91.0, 9.0
    rows = COAST
    north = south + len(rows) * res

    def at(col, row_from_north):
        return (north - (row_from_north + 0.5) * res, west + (col + 0.5) * res)

    feats = [("port_of_entry", "West port", at(6, 1), ""), ("port_of_entry", "East port", at(11, 1), ""),
             ("source", "Source", at(9, 8), ""), ("source", "Coast source", at(6, 9), ""),
             ("airstrip", "Origin strip", at(10, 8), "origin"), ("airstrip", "Landing strip", at(11, 2), ""),
             ("migrant_origin", "Origin", at(9, 8), "")]
    text = map_header("coast", chr(10).join(rows), res, west, south)
    for code, name, sym in (("US", "Destination", "U"), ("MX", "Mexico", "m"), ("GT", "Guatemala", "g"),
                            ("CO", "Colombia", "c")):
        text += f'\n[[jurisdiction]]\ncode = "{code}"\nname = "{name}"\ncountry = "{code}"\nsymbol = "{sym}"\n'
    for kind, name, (lat, lon), note in feats:
        text += f'\n[[feature]]\nkind = "{kind}"\nname = "{name}"\nlat = {lat}\nlon = {lon}\n'
        if note:
            text += f'note = "{note}"\n'
    path = Path(folder) / "coast.toml"
    path.write_text(text)
    return path


# Interdiction by mode: two coastal countries XA (west, a) and XB (east, b) across a sea from
# the origin country XO (o); XN (n) holds the ports and a strip between a and b. One origin
# airstrip in the middle of XO's coast flies to a landing strip in each of XA and XB, placed
# symmetrically, each with a port of entry straight north of it; a boat source sits below
# each port. With the sea closed (max_offshore_km = 0) loads can only fly.
MODES = [
    "UUUUUUUUUUUUUUU",
    "nnnnnnnnnnnnnnn",
    "aaaaaaanbbbbbbb",
    "aaaaaaanbbbbbbb",
    "aaaaaaanbbbbbbb",
    "...............",
    "...............",
    "...............",
    "...............",
    "ooooooooooooooo",
]


def write_modes(folder: Path) -> Path:
    """Write the mode map: features Port W/E, Strip A/B (landing), Origin strip, Source W/E."""
    res, west, south = 0.25, -100.0, 10.0
    height = len(MODES)
    north = south + height * res

    def at(col, row):
        return f"lat = {north - (row + 0.5) * res}\nlon = {west + (col + 0.5) * res}"

    features = [("port_of_entry", "Port W", 3, 1, ""), ("port_of_entry", "Port E", 11, 1, ""),
                ("airstrip", "Strip A", 3, 3, ""), ("airstrip", "Strip B", 11, 3, ""),
                ("airstrip", "Origin strip", 7, 9, 'note = "origin"'),
                ("source", "Origin", 7, 9, ""), ("source", "Source W", 3, 9, ""),
                ("source", "Source E", 11, 9, "")]
    jur = [("US", "U"), ("XN", "n"), ("XA", "a"), ("XB", "b"), ("XO", "o")]
    raster = "\n".join(MODES)
    text = map_header("modes", raster, res, west, south)
    for code, sym in jur:
        text += f'\n[[jurisdiction]]\ncode = "{code}"\nname = "{code}"\ncountry = "{code}"\nsymbol = "{sym}"\n'
    for kind, name, col, row, extra in features:
        text += f'\n[[feature]]\nkind = "{kind}"\nname = "{name}"\n{at(col, row)}\n{extra}\n'
    path = Path(folder) / "modes.toml"
    path.write_text(text)
    return path
