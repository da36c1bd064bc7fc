"""Question spelling and known word slips after Apertium, which translates from English and Portuguese
word by word and leaves "Como la ley protege a las madres?" and "Lo que es la libertad de asociación?"."""
import pytest

from muri_gen.backends.translate.apertium import ApertiumTranslator
from muri_gen.translation.orthography import polish


@pytest.mark.parametrize("text, expected", [
    ("Cuál es la ley contra la esclavitud? Como la ley protege a las madres? Él dijo que sí.",
     "¿Cuál es la ley contra la esclavitud? ¿Cómo la ley protege a las madres? Él dijo que sí."),
    ("Hola! Explique como funciona la ley.", "¡Hola! Explique como funciona la ley."),  # "como" mid-sentence stays
    ("Dime algo. Quienes pueden votar?", "Dime algo. ¿Quiénes pueden votar?"),
    ('"Que dices?" preguntó.', '"¿Qué dices?" preguntó.'),
    ("Cuando llueve, sales a la calle?", "¿Cuando llueve, sales a la calle?"),  # a clause, not "¿cuándo?"
    ("¿Cómo estás? ¡Qué bien!", "¿Cómo estás? ¡Qué bien!"),
    ("Sin signos", "Sin signos"),
])
def test_questions_and_exclamations_get_their_opening_marks(text, expected):
    assert polish(text, "spa") == expected


@pytest.mark.parametrize("text, language, expected", [
    ("Lo que es la libertad de asociación? Lo que dijo es cierto.", "spa",
     "¿Qué es la libertad de asociación? Lo que dijo es cierto."),
    ("El que és la llibertat d'associació?", "cat", "Què és la llibertat d'associació?"),
    ("El que diu és cert.", "cat", "El que diu és cert."),
    ("Como se diz isto?", "por", "Como se diz isto?"),
    ("¿Quale è la legge contro lo schiavismo? ¡Ciao!", "ita", "Qual è la legge contro lo schiavismo? Ciao!"),
    ("¿Cal é a lei?", "glg", "¿Cal é a lei?"),  # Galician's norm allows the opening mark
    ("Quin és la llei de la llibertat de reunió?", "cat", "Quina és la llei de la llibertat de reunió?"),
    ("Quins sa les llibertats? Quin és el dret de canviar la nacionalitat?", "cat",
     "Quines són les llibertats? Quin és el dret de canviar la nacionalitat?"),
    ("Diu quin és la llei.", "cat", "Diu quin és la llei."),  # not a question: left alone
    ("Che è la lettera di Groucho Marx? Quale è il primo libro?", "ita",
     "Che cos'è la lettera di Groucho Marx? Qual è il primo libro?"),
    ("Qu'est-ce que est la lettre? Qu'est-ce que est un droit? Quel est la loi? Quels sont les droits?", "fra",
     "Qu'est-ce que la lettre? Qu'est-ce qu'un droit? Quelle est la loi? Quels sont les droits?"),
])
def test_a_relative_clause_opening_a_question_becomes_the_interrogative(text, language, expected):
    assert polish(text, language) == expected


@pytest.mark.parametrize("text, language, expected", [
    ("Quin és el dret a un descanso raonable? Descanso i oci.", "cat", "Quin és el dret a un descans raonable? Descans i oci."),
    ("Kio estas la ĝusta al libereco? La ĝusta je edukado.", "epo", "Kio estas la rajto al libereco? La rajto je edukado."),
    ("Kio estas la ĝusta ĝui la artojn?", "epo", "Kio estas la rajto ĝui la artojn?"),
    ("Kio estas la ĝusta respondo?", "epo", "Kio estas la ĝusta respondo?"),  # the adjective before its noun stays
    ("¿Qué es un descanso?", "spa", "¿Qué es un descanso?"),  # Spanish's word
])
def test_a_translators_known_word_slips_are_fixed(text, language, expected):
    assert polish(text, language) == expected


def test_apertium_into_spanish_opens_its_questions_and_other_targets_drop_them():
    apertium = ApertiumTranslator(ApertiumTranslator.Config())
    [from_portuguese] = apertium.translate_batch(["Qual é a lei contra a escravidão?"], "por", "spa")
    [from_english] = apertium.translate_batch(["How does the law protect mothers?"], "eng", "spa")
    assert from_portuguese == "¿Cuál es la ley contra la esclavitud?"
    assert from_english.startswith("¿") and from_english.endswith("?")
    [dropped_word] = apertium.translate_batch(["What does the law say about marriage?"], "eng", "spa")
    assert dropped_word.startswith("¿Qué la ley") and "  " not in dropped_word  # Apertium left a double space
    [catalan] = apertium.translate_batch(["O que é a liberdade de associação?"], "por", "cat")
    assert catalan == "Què és la llibertat d'associació?"
    which = apertium.translate_batch(["Qual é a lei da liberdade de reunião?", "Quais são os direitos das mulheres?"],
                                     "por", "cat")
    assert which == ["Quina és la llei de la llibertat de reunió?", "Quins són els drets de les dones?"]
    [galician] = apertium.translate_batch(["Qual é a lei contra a escravidão?"], "por", "glg")
    assert galician == "Cal é a lei contra a escravitude?"  # Galician's norm leaves the opening mark optional
    [italian] = apertium.translate_batch(["¿Cuál es la ley contra la esclavitud? ¡Hola!"], "spa", "ita")
    assert italian == "Qual è la legge contro lo schiavismo? Ciao!"  # Apertium kept Spanish's marks
    [rest] = apertium.translate_batch(["Qual é o direito a um descanso razoável?"], "por", "cat")
    assert rest == "Quin és el dret a un descans raonable?"  # Apertium wrote Portuguese's "descanso"
    [right] = apertium.translate_batch(["What is the right to freedom of thought?"], "eng", "epo")
    assert right == "Kio estas la rajto al libereco de penso?"  # Apertium wrote "la ĝusta al"
    [quoted] = apertium.translate_batch(['The doctor said: "Yes" and left.'], "eng", "hrv")
    assert '"Yes"' in quoted and "parquote" not in quoted  # Apertium wrote "parquoteYesparquote"
    assert '"Yes"' in apertium.translate_batch(['The doctor said: "Yes" and left.'], "eng", "srp")[0]  # in Cyrillic too
    [french] = apertium.translate_batch(["¿Qué es la carta? ¿Cuál es la ley contra la esclavitud?"], "spa", "fra")
    assert french.startswith("Qu'est-ce que la lettre? Quelle est la loi contre ")
