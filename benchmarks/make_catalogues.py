"""Write the demo catalogues: menus/data/library_catalogue.csv and shop_products.csv.

The library's works are real public-domain classics (``catalogue_works.py``); each
is a printed book and, for some, also an audiobook or an e-book, with copies per
branch and a shelf mark. The shop's products are a hand-written range of clothes
and gear in several colours with stock per size. The numbers (copies, stock) come
from a seeded generator, so running the script again writes the same files.

    python benchmarks/make_catalogues.py
"""

from __future__ import annotations

import csv
import random
import unicodedata
from pathlib import Path

from catalogue_works import OTHER_TITLES, SERIES, WORKS
from gutenberg_headings import Headings

OUT = Path(__file__).resolve().parent.parent / "menus" / "data"
# subject -> (Dewey class per language, words a caller may use in en / fr / ro)
SUBJECTS = {
    "novel": ("823", "843", "859.3", "novel fiction roman"),
    "adventure": ("823", "843", "859.3", "adventure novel aventure roman d'aventures aventură "
                  "roman de aventuri"),
    "science fiction": ("823", "843", "859.3", "science fiction science-fiction SF sci fi "
                        "anticipation științifico-fantastic"),
    "mystery": ("823", "843", "859.3", "mystery detective crime novel detective stories "
                "whodunit thriller policier enquête roman polițist"),
    "poetry": ("821", "841", "859.1", "poetry poems poésie poèmes poezie poezii versuri"),
    "drama": ("822", "842", "859.2", "drama play plays theatre théâtre pièce teatru piesă"),
    "short stories": ("823", "843", "859.3", "short stories tales nouvelles contes nuvele "
                      "povestiri schițe"),
    "children": ("823", "843", "859.3", "children kids children's books jeunesse enfants "
                 "copii"),
    "romance": ("823", "843", "859.3", "romance love story novel amour roman d'amour roman "
                "de dragoste"),
    "history": ("823", "843", "859.3", "history historical novel histoire historique roman "
                "istorie istoric"),
    "philosophy": ("194", "194", "199", "philosophy philosophie filozofie"),
    "satire": ("827", "847", "859.7", "satire humour humor comedy comic funny humorous "
               "comique drôle humoristique umor amuzant comic"),
    "fairy tales": ("398", "398", "398", "fairy tales folk tales contes de fées basme "
                    "povești"),
    "gothic": ("823", "843", "859.3", "gothic horror ghost stories scary fantastique "
               "épouvante groază"),
    "memoir": ("828", "848", "859.8", "memoir memories souvenirs amintiri memorii"),
}
LANGS = ("en", "fr", "ro")


def surname_code(author: str) -> str:
    """The first three letters of the surname, as on a spine label: HUG, CRE."""
    last = author.replace("-", " ").split()[-1]
    plain = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
    return plain[:3].upper()


# The language of a work, as callers name it ("French novels", "poezie românească").
LANGUAGE_NAMES = {"en": "English anglais anglaise engleză englezească",
                  "fr": "French français française franceză franțuzească",
                  "ro": "Romanian roumain roumaine română românească"}


def other_titles() -> dict[str, str]:
    """Original title -> the titles it goes by in the other languages."""
    out = {}
    for line in OTHER_TITLES.strip().splitlines():
        title, others = (part.strip() for part in line.split("|"))
        out[title] = others
    return out


def library_rows(rng: random.Random) -> list[dict[str, str]]:
    """One row per work: its formats, copies per branch and shelf mark."""
    rows: list[dict[str, str]] = []
    others = other_titles()
    gutenberg = Headings()
    for line in WORKS.strip().splitlines():
        author, lang, subject, titles = (part.strip() for part in line.split("|"))
        dewey = SUBJECTS[subject][LANGS.index(lang)]
        for title in (t.strip() for t in titles.split(";") if t.strip()):
            formats = ["book"]
            if rng.random() < 0.25:
                formats.append("audiobook")
            if rng.random() < 0.25:
                formats.append("ebook")
            copies = [rng.choice((0, 1, 1, 2, 3)) for _ in range(3)]
            rows.append({
                "id": f"L{len(rows) + 1:04d}", "title": title, "author": author,
                "other_titles": "; ".join(t for t in (others.get(title, ""), SERIES.get(author, ""))
                                          if t),
                "language": lang, "subject": subject,
                "topics": f"{SUBJECTS[subject][3]} {LANGUAGE_NAMES[lang]}",
                "formats": ", ".join(formats), "copies": str(sum(copies)),
                "copies_central": str(copies[0]), "copies_north": str(copies[1]),
                "copies_riverside": str(copies[2]), "shelf": f"{dewey} {surname_code(author)}",
            })
            # Project Gutenberg's headings for the work, empty when it has no record there
            subjects, shelves, _ = gutenberg.headings(title, author, lang)
            rows[-1].update({"subjects": subjects, "bookshelves": shelves})
    return rows


# name en | fr | ro | category | sizes | price in EUR
PRODUCTS = """
rain jacket|veste de pluie|jachetă de ploaie|outerwear|clothes|89.00
winter parka|parka d'hiver|parka de iarnă|outerwear|clothes|159.00
down jacket|doudoune|geacă de puf|outerwear|clothes|129.00
fleece jacket|veste polaire|jachetă polar|outerwear|clothes|49.90
denim jacket|veste en jean|geacă de blugi|outerwear|clothes|69.00
wool coat|manteau en laine|palton de lână|outerwear|clothes|189.00
trench coat|trench|trenci|outerwear|clothes|149.00
hoodie|sweat à capuche|hanorac|tops|clothes|39.90
crew neck sweater|pull col rond|pulover la baza gâtului|tops|clothes|45.00
cardigan|cardigan|cardigan|tops|clothes|49.00
polo shirt|polo|tricou polo|tops|clothes|29.90
t-shirt|t-shirt|tricou|tops|clothes|14.90
long sleeve t-shirt|t-shirt à manches longues|bluză cu mânecă lungă|tops|clothes|19.90
oxford shirt|chemise oxford|cămașă oxford|tops|clothes|39.00
linen shirt|chemise en lin|cămașă de in|tops|clothes|44.00
flannel shirt|chemise en flanelle|cămașă de flanel|tops|clothes|34.00
jeans|jean|blugi|bottoms|waist|59.00
chinos|chino|pantaloni chino|bottoms|waist|49.00
cargo trousers|pantalon cargo|pantaloni cargo|bottoms|waist|54.00
shorts|short|pantaloni scurți|bottoms|waist|29.00
joggers|jogging|pantaloni de trening|bottoms|clothes|34.90
summer dress|robe d'été|rochie de vară|dresses|clothes|59.00
knit dress|robe en maille|rochie tricotată|dresses|clothes|69.00
pleated skirt|jupe plissée|fustă plisată|dresses|clothes|39.00
running shoes|chaussures de course|pantofi de alergare|shoes|shoes|99.00
hiking boots|chaussures de randonnée|bocanci de drumeție|shoes|shoes|139.00
leather boots|bottines en cuir|ghete din piele|shoes|shoes|129.00
canvas sneakers|baskets en toile|teniși de pânză|shoes|shoes|49.00
sandals|sandales|sandale|shoes|shoes|39.00
slippers|chaussons|papuci de casă|shoes|shoes|24.00
wool scarf|écharpe en laine|fular de lână|accessories|one|29.00
beanie|bonnet|căciulă|accessories|one|19.00
baseball cap|casquette|șapcă|accessories|one|19.90
leather gloves|gants en cuir|mănuși din piele|accessories|gloves|39.00
leather belt|ceinture en cuir|curea din piele|accessories|waist|29.00
backpack|sac à dos|rucsac|bags|one|69.00
tote bag|sac cabas|geantă tote|bags|one|24.00
travel duffel|sac de voyage|geantă de voiaj|bags|one|89.00
umbrella|parapluie|umbrelă|accessories|one|22.00
swimsuit|maillot de bain|costum de baie|swimwear|clothes|35.00
pyjamas|pyjama|pijama|nightwear|clothes|39.00
socks three pack|chaussettes lot de trois|șosete set de trei|accessories|shoes|12.90
"""
COLOURS = [("black", "noir", "negru"), ("navy", "bleu marine", "bleumarin"),
           ("blue", "bleu", "albastru"), ("red", "rouge", "roșu"), ("green", "vert", "verde"),
           ("grey", "gris", "gri"), ("white", "blanc", "alb"), ("yellow", "jaune", "galben"),
           ("beige", "beige", "bej"), ("brown", "marron", "maro")]
# What else callers call a product, in en | fr | ro: everyday names a shop's search keeps.
OTHER_NAMES = {
    "rain jacket": "raincoat rain coat waterproof anorak mac | imperméable k-way coupe-vent | "
                   "impermeabil pelerină fâș",
    "winter parka": "parka winter coat warm coat | manteau d'hiver | geacă de iarnă scurtă",
    "down jacket": "puffer puffer jacket padded jacket quilted jacket | anorak matelassé | "
                   "geacă matlasată geacă de iarnă",
    "fleece jacket": "fleece polar fleece | polaire | polar",
    "denim jacket": "jean jacket | blouson en jean | geacă din denim",
    "wool coat": "overcoat winter coat | manteau | palton",
    "trench coat": "trench mac | imperméable | pardesiu",
    "hoodie": "hoody hooded sweatshirt sweatshirt | sweat hoodie | hanorac cu glugă bluză cu "
              "glugă",
    "crew neck sweater": "jumper pullover sweater knitwear | pull tricot | pulover",
    "cardigan": "knitted jacket | gilet | jachetă tricotată",
    "polo shirt": "polo | polo | polo",
    "t-shirt": "tee tee shirt t shirt | tee-shirt tshirt | tricou",
    "long sleeve t-shirt": "long sleeved top long sleeve tee | haut à manches longues | bluză",
    "oxford shirt": "button down shirt dress shirt | chemise | cămașă",
    "linen shirt": "summer shirt | chemise d'été | cămașă de vară",
    "flannel shirt": "checked shirt plaid shirt lumberjack shirt | chemise à carreaux | cămașă "
                     "în carouri",
    "jeans": "denims denim trousers | jean denim | jeanși",
    "chinos": "khakis chino trousers slacks | pantalon chino | pantaloni de stofă",
    "cargo trousers": "cargo pants combat trousers | pantalon treillis | pantaloni cu buzunare",
    "shorts": "short trousers bermuda shorts | bermuda | bermude",
    "joggers": "sweatpants tracksuit bottoms track pants jogging bottoms | pantalon de "
               "survêtement | pantaloni de sport",
    "summer dress": "sundress | robe légère | rochie ușoară",
    "knit dress": "jumper dress sweater dress | robe pull | rochie pulover",
    "pleated skirt": "skirt | jupe | fustă",
    "running shoes": "trainers sneakers sports shoes running trainers | baskets chaussures de "
                     "sport | adidași pantofi sport încălțăminte sport",
    "hiking boots": "walking boots trekking boots | chaussures de marche | bocanci ghete de munte",
    "leather boots": "ankle boots boots | bottes | cizme ghete",
    "canvas sneakers": "plimsolls trainers sneakers pumps | tennis | teniși adidași",
    "sandals": "summer shoes | nu-pieds | sandale",
    "slippers": "house shoes | pantoufles | papuci",
    "wool scarf": "scarf muffler | écharpe cache-nez | fular eșarfă",
    "beanie": "woolly hat bobble hat knitted hat winter hat | bonnet en laine | căciulă de "
              "iarnă fes",
    "baseball cap": "cap | casquette | șapcă",
    "leather gloves": "gloves | gants | mănuși",
    "leather belt": "belt | ceinture | curea",
    "backpack": "rucksack knapsack school bag | sac d'école | ghiozdan",
    "tote bag": "shopping bag shopper canvas bag | tote bag | plasă de cumpărături",
    "travel duffel": "holdall duffel bag duffle bag weekend bag travel bag | sac de sport | "
                     "geantă de călătorie",
    "umbrella": "brolly | parapluie | umbrelă",
    "swimsuit": "swimming costume bathing suit swimwear | maillot | costum de înot",
    "pyjamas": "pajamas pjs nightwear | pyjama | pijamale",
    "socks three pack": "socks | chaussettes | șosete",
}
# Other words for each colour, en | fr | ro (the first of COLOURS' names is the key).
COLOUR_WORDS = {
    "black": "jet black | noir | negru", "navy": "dark blue navy blue | bleu foncé | "
    "albastru închis", "blue": "light blue sky blue royal blue | bleu clair | bleu",
    "red": "burgundy scarlet | bordeaux | vișiniu", "green": "olive khaki dark green | kaki "
    "vert foncé | kaki oliv", "grey": "gray charcoal | anthracite gris foncé | gri închis",
    "white": "off white ivory cream white | blanc cassé ivoire | alb unt", "yellow": "mustard "
    "lemon | moutarde | muștar", "beige": "cream sand camel tan stone | crème sable camel | crem",
    "brown": "tan chocolate | chocolat | maro închis ciocolatiu",
}
# Sizes as callers say them, en / fr / ro.
SIZE_WORDS = {"XS": "extra small très petit foarte mic", "S": "small petit mic",
              "M": "medium moyen mediu", "L": "large grand mare",
              "XL": "extra large très grand foarte mare"}
SIZES = {"clothes": ["XS", "S", "M", "L", "XL"], "waist": ["28", "30", "32", "34", "36"],
         "shoes": ["38", "40", "42", "44", "46"], "gloves": ["S", "M", "L"], "one": ["one size"]}


def product_rows(rng: random.Random) -> list[dict[str, str]]:
    """One row per product and colour, with stock per size."""
    rows: list[dict[str, str]] = []
    for line in PRODUCTS.strip().splitlines():
        en, fr, ro, category, sizes, price = (p.strip() for p in line.split("|"))
        for colour in rng.sample(COLOURS, 5):
            stock = {size: rng.choice((0, 0, 1, 2, 4, 7, 12)) for size in SIZES[sizes]}
            in_stock = [s for s, n in stock.items() if n]
            rows.append({
                "id": f"P{len(rows) + 1:04d}", "name_en": en, "name_fr": fr, "name_ro": ro,
                "category": category, "colour": colour[0], "colour_fr": colour[1],
                "colour_ro": colour[2], "price": price, "currency": "EUR",
                "sizes_in_stock": ", ".join(in_stock) if in_stock else "-",
                "stock": ";".join(f"{s}={n}" for s, n in stock.items()),
                "delivery_days": str(rng.choice((2, 3, 3, 5))),
                "other_names": " ".join(OTHER_NAMES[en].replace("|", " ").split()),
                "colour_words": " ".join(COLOUR_WORDS[colour[0]].replace("|", " ").split()),
                "size_words": " ".join(SIZE_WORDS[s] for s in in_stock if s in SIZE_WORDS),
            })
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    """A UTF-8 CSV with a header row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write both files and say how many rows each has."""
    rng = random.Random(14)
    OUT.mkdir(parents=True, exist_ok=True)
    library, products = library_rows(rng), product_rows(rng)
    write(OUT / "library_catalogue.csv", library)
    write(OUT / "shop_products.csv", products)
    works = len({(r["title"], r["author"]) for r in library})
    print(f"library: {works} works; shop: {len(products)} products")


if __name__ == "__main__":
    main()
