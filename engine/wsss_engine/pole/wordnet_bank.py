"""Synonym candidates from WordNet 3.0 (the paper's Fig. 3 compares bank sources; METHOD §2.1).

Database: Debian's `wordnet-base` (/usr/share/wordnet, WNDB format), read with nltk's WordNet reader. The
package has no `lexnames` file, which the reader opens first: that file is the fixed 45-line table of the
lexnames(5WN) man page, so it is written from `LEXNAMES` below into a private temporary copy of the database
(nltk's reader refuses symlinked and hard-linked files, so the 28 MB are copied once per process; nothing is
written under /usr/share). `WSSS_WORDNET_DIR` or an explicit folder overrides the location.

Senses: a VOC class uses the noun synset in `VOC_SENSES` (chosen by reading each candidate's gloss: e.g. "cow"
is cow.n.01 "female of domestic cattle", "tvmonitor" is television_receiver.n.01); any other class uses the
first noun sense of its name (WordNet lists senses by tagged-corpus frequency), or a sense the caller names.

Ranking of a class's words (the bank's order is its ranking; a run keeps the first k):
  1. the class's prompt word (CLIMS's name, e.g. "player" for person, METHOD §7.13);
  2. the lemmas of its synset (true synonyms);
  3. the lemmas of its direct hyponyms (kinds of the class, still inside it: "bomber" is an aeroplane);
  4. the lemmas of its direct hypernyms (broader words: "heavier-than-air craft").
Within a group, by the lemma's SemCor frequency (nltk `Lemma.count()`, from cntlist.rev), ties in WordNet's
order (synset offset, then lemma position). Lemmas with a capital letter (proper names, nationalities), longer
than three words, or already listed (ignoring case) are left out; underscores become spaces.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

from ..errors import ConfigInvalid

DEFAULT_DIR = "/usr/share/wordnet"
NEEDED = (
    "data.noun",
    "index.noun",
    "noun.exc",
    "data.adj",
    "index.adj",
    "data.verb",
    "index.verb",
    "data.adv",
    "index.adv",
    "adj.exc",
    "adv.exc",
    "verb.exc",
)
# lexnames(5WN): file number = position; syntactic category 1 noun, 2 verb, 3 adjective, 4 adverb.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive "
    "noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity "
    "noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition "
    "verb.communication verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
VOC_SENSES = {
    "aeroplane": "airplane.n.01",
    "bicycle": "bicycle.n.01",
    "bird": "bird.n.01",
    "boat": "boat.n.01",
    "bottle": "bottle.n.01",
    "bus": "bus.n.01",
    "car": "car.n.01",
    "cat": "cat.n.01",
    "chair": "chair.n.01",
    "cow": "cow.n.01",
    "diningtable": "dining_table.n.01",
    "dog": "dog.n.01",
    "horse": "horse.n.01",
    "motorbike": "motorcycle.n.01",
    "person": "person.n.01",
    "pottedplant": "pot_plant.n.01",
    "sheep": "sheep.n.01",
    "sofa": "sofa.n.01",
    "train": "train.n.01",
    "tvmonitor": "television_receiver.n.01",
}
_readers: dict[str, object] = {}
_lock = threading.Lock()


def lexnames_text() -> str:
    return "".join(f"{i:02d}\t{name}\t{CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))


def default_dir() -> Path:
    return Path(os.environ.get("WSSS_WORDNET_DIR") or DEFAULT_DIR)


def wordnet(folder: str | os.PathLike | None = None):
    """nltk's WordNet reader over the WNDB folder (cached per folder in this process)."""
    src = Path(folder) if folder else default_dir()
    missing = [f for f in NEEDED if not (src / f).is_file()]
    if missing:
        raise ConfigInvalid(
            f"no WordNet 3.0 database in {src} (missing {', '.join(missing[:3])})",
            hint="install it (Debian/Ubuntu: apt-get install wordnet-base), or set "
            "WSSS_WORDNET_DIR to a folder of WordNet's dict files",
            path=str(src),
        )
    key = str(src.resolve())
    with _lock:
        if key not in _readers:
            _readers[key] = _open(src)
        return _readers[key]


def _open(src: Path):
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class Reader(WordNetCorpusReader):
        def map_wn(self, version="wordnet"):
            return None  # this *is* WordNet 3.0: no mapping to nltk's own download (which needs index.sense)

    copy = Path(tempfile.mkdtemp(prefix="wsss-wordnet-"))
    atexit.register(shutil.rmtree, copy, True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copyfile(f, copy / f.name)
    (copy / "lexnames").write_text(lexnames_text(), encoding="utf-8")
    nltk.data.path.append(str(copy))  # nltk only opens corpus files under its data path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not needed here
        return Reader(str(copy), None)


def synset_of(wn, cls: str, sense: str | None = None):
    name = sense or VOC_SENSES.get(cls)
    if name:
        try:
            return wn.synset(name)
        except Exception:  # nltk raises WordNetError / ValueError for an unknown name
            raise ConfigInvalid(
                f"WordNet has no synset {name!r} (for class {cls!r})", hint="name a noun synset like 'sofa.n.01'"
            ) from None
    for query in (cls, cls.replace(" ", "_")):
        found = wn.synsets(query, "n")
        if found:
            return found[0]
    return None


def wordnet_words(cls: str, first_word: str, size: int, wn, sense: str | None = None) -> list[str]:
    """Up to `size` words for class `cls`, `first_word` first, ranked as the module says."""
    words = [first_word]
    seen = {first_word.lower()}
    synset = synset_of(wn, cls, sense)
    if synset is None:
        return words
    # nltk keeps related synsets in a set (order varies with hash seeds): WordNet's file order makes ties stable
    groups = [
        [synset],
        sorted(synset.hyponyms(), key=lambda x: x.offset()),
        sorted(synset.hypernyms(), key=lambda x: x.offset()),
    ]
    for group in groups:
        lemmas = [lemma for s in group for lemma in s.lemmas()]
        ranked = sorted(enumerate(lemmas), key=lambda il: (-il[1].count(), il[0]))
        for _, lemma in ranked:
            word = lemma.name().replace("_", " ")
            if len(words) >= size:
                return words
            if word.lower() in seen or word != word.lower() or len(word.split()) > 3:
                continue
            seen.add(word.lower())
            words.append(word)
    return words
