"""Orders to an assistant in other languages: the imperative patterns `agent.guard` adds to its own.

Why patterns and not a classifier: the prompt-injection classifiers on PyPI load their weights
from a model hub at run time (Hopper never downloads at run time), they are English-first, and
they cost a model call per sentence of every passage read. These patterns are the same few kinds
of order the English checks know, written the way each language gives them: an imperative
("игнорируй", "忽略", "negeer") with the thing to ignore ("инструкции", "指令", "instructies"),
an imperative to answer a given text ("ответь, что", "と答えてください"), and a note addressed to
a machine ("Примечание для ИИ", "给AI的提示", "Hinweis für die KI"). Each needs both halves (the
verb and its object, the note and its addressee), so an ordinary sentence that only mentions
instructions or AI is kept; `tests/agent/test_guard_i18n.py` holds the table of what they catch.

Languages: Russian, Ukrainian, Chinese (simplified and traditional), Japanese, Korean, Spanish,
French, German, Italian, Portuguese, Dutch, Polish, Turkish, Arabic (French, German, Spanish,
Italian and Portuguese "ignore the instructions" are in `agent.guard.IGNORE`).
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_GAP = r"[^.!?。！？]{0,50}?"
"""Words between an imperative and its object, within the sentence."""
_CJK_GAP = r"[^。！？.!?]{0,20}?"
_AI = (r"(?:ИИ|ии-ассистент\w*|искусственн\w+ интеллект\w*|ассистент\w*|языков\w+ модел\w+|нейросет\w+|"
       r"чат-бот\w*|бот\w*|ШІ|штучн\w+ інтелект\w*|асистент\w*|мовн\w+ модел\w+|"
       r"AI|A\.I\.|IA|KI|SI|LLM|GPT|ChatGPT)")
"""An AI, an assistant or a language model, in the languages below that write it with letters."""

IGNORE = [
    # Russian, Ukrainian
    re.compile(r"(?:\b(?:про)?игнорируй(?:те)?|\bзабудь(?:те)?|\bне обращай(?:те)? внимани[яе] на|"
               r"\bотбрось(?:те)?|\bне (?:следуй|подчиняйся)(?:те)?|\b(?:про)?ігноруй(?:те)?|"
               r"\bне зважай(?:те)? на)" + _GAP +
               r"(?:инструкци|указани|правил|команд|промпт|директив|предписани|інструкці|вказівк|настанов)",
               _I),
    # Chinese (simplified, traditional)
    re.compile(r"(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|不要理睬|忘记|忘記|忘掉|抛开|拋開|不要遵守|不要遵循|"
               r"不再遵守|别管|別管)" + _CJK_GAP +
               r"(?:指令|指示|说明|說明|规则|規則|提示词|提示詞|提示|命令|要求|设定|設定|约束|約束)"),
    # Japanese
    re.compile(r"(?:指示|命令|指令|ルール|プロンプト|規則|設定)を" + _CJK_GAP + r"(?:無視|忘れ)"),
    # Korean
    re.compile(r"(?:지시|지침|명령|규칙|프롬프트|지시사항|설정)\S*\s*(?:모두\s*|전부\s*)?(?:무시|잊어)"),
    # Dutch, Polish, Turkish, Arabic
    re.compile(r"\b(?:negeer|vergeet)\b" + _GAP + r"\b(?:instructies|aanwijzingen|regels|opdrachten)\b", _I),
    re.compile(r"\b(?:zignoruj|ignoruj|zapomnij|pomiń)\w*" + _GAP + r"\b(?:instrukcj|polece|zasad|reguł)\w*",
               _I),
    re.compile(r"\b(?:talimat|komut|kural|yönerge)\w*\s+(?:\w+\s+)?(?:yok say|görmezden gel|unut)", _I),
    re.compile(r"(?:تجاهل|انس|إنس|لا تتبع)\S*" + _GAP + r"(?:التعليمات|الأوامر|القواعد|التوجيهات)"),
]

_START = r"^(?:[\w\s'’-]{0,30}[:：]\s*)?"
"""A sentence start, after an optional heading ("Nota:")."""

ANSWER = [
    # Russian, Ukrainian: "answer that ...", "say only ..."
    re.compile(r"\b(?:отвечай|ответь|скажи|напиши|сообщи|выведи|пиши|говори|відповідай|"
               r"відповідж)(?:те)?\b,?\s+(?:\w+\s+){0,2}?(?:что|що|только|лише|тільки|одно слово)\b", _I),
    # Chinese: "you must answer: ...", "please reply that ..."
    re.compile(r"(?:请|請|你必须|你必須|你应该|你應該|你要|你只能|务必|務必|一律|始终|始終|总是|總是|只)"
               r"(?:回答|回复|回覆|答复|答覆|说|說|输出|輸出)(?:说|說|称|稱|道|是|：|:|\"|“|「|『)"),
    # Japanese, Korean: "answer only '...'"
    re.compile(r"と(?:だけ)?(?:答え|回答し|返答し|言っ|書い|出力し)(?:て|なさい|ろ)"),
    re.compile(r"(?:라고|이라고)\s*(?:만\s*)?(?:답하|대답하|답변하|말하|출력하|응답하)(?:세요|십시오|라|시오|십시요)"),
    # Spanish, French, German, Italian, Portuguese, Dutch, Polish: an imperative that opens the
    # sentence, then "that ..." (a third person "responde que" inside a sentence is reported speech;
    # "afirma que", "diz que", "di che" open ordinary sentences, so they are not here)
    re.compile(_START + r"(?:(?:por favor|veuillez|merci de|bitte|per favore|alsjeblieft|proszę),?\s+)?"
               r"(?:responde|contesta|responda|conteste|diga|réponds|répondez|dis|dites|écris|écrivez|"
               r"antworte|antworten sie|sag|sage|sagen sie|schreib|schreibe|schreiben sie|behaupte|rispondi|"
               r"rispondete|scrivi|escreva|antwoord|zeg|schrijf|odpowiedz|odpowiadaj|powiedz|napisz)"
               r"(?:\s+(?:al usuario|à l'utilisateur|dem (?:be)?nutzer|all'utente|ao usuário|de gebruiker|"
               r"użytkownikowi))?,?\s+(?:que|qu'|qu’|dass|che|dat|że|alleen|uniquement|nur|solo|sólo|apenas)\b",
               _I),
    # Turkish, Arabic
    re.compile(r"\b(?:diye|şeklinde)\s+(?:cevap ver|yanıt ver|yanıtla|söyle|yaz)", _I),
    re.compile(r"(?:أجب|أجيبي|قل|قولي|اكتب)\S*\s+(?:بأن|أن|فقط)"),
]

ROLE = [
    re.compile(r"\b(?:теперь ты|отныне ты|с этого момента,? ты|тепер ти|ahora eres|"
               r"a partir de ahora,? (?:eres|tú|debes|responde)|tu es maintenant|"
               r"désormais,? (?:tu|vous|réponds|répondez)|"
               r"du bist (?:jetzt|nun|ab sofort)|ab (?:jetzt|sofort),? (?:bist|antwortest|sagst) du|"
               r"ora sei|d'ora in poi,? (?:sei|rispondi)|agora você é|a partir de agora,? (?:você|responda)|"
               r"je bent nu|vanaf nu,? (?:ben je|antwoord)|od teraz,? (?:jesteś|odpowiadaj))\b", _I),
    re.compile(r"(?:你现在是|你現在是|从现在开始[，,]?\s*你|從現在開始[，,]?\s*你|从现在起[，,]?\s*你|"
               r"從現在起[，,]?\s*你|今からあなたは|これからあなたは|지금부터 당신은|이제부터 너는)"),
]

ADDRESS = [
    # a note to an AI: "Примечание для ИИ", "Nota para la IA", "Hinweis für die KI", "AI에게"
    re.compile(r"\b(?:примечание|заметка|внимание|сообщение|указани[ея]|инструкци[яи]|записка|обращение|"
               r"примітка|нотатка|повідомлення|увага|вказівка)\s+(?:для|к|до)\s+(?:\w+\s+)?"
               + _AI + r"(?!\w)",
               _I),
    re.compile(r"\b(?:nota|mensaje|instrucci[oó]n(?:es)?|aviso|atenci[oó]n|note|message|remarque|avis|"
               r"hinweis|notiz|nachricht|anweisung(?:en)?|achtung|anmerkung|messaggio|avviso|mensagem|aviso|"
               r"notitie|bericht|opmerking|notatka|wiadomość|uwaga|instrukcja)\s+"
               r"(?:para|a|pour|à|aux|für|an|per|voor|dla)\s+(?:la |el |l'|l’|les |die |das |den |a |o |de |"
               r"cualquier |toute |jede[ns]? |qualsiasi |qualquer |elke |każdej )?"
               r"(?:IA|KI|AI|SI|inteligencia artificial|intelligence artificielle|künstliche intelligenz|"
               r"intelligenza artificiale|inteligência artificial|asistente|assistant|assistente|"
               r"assistenten?|asystenta|modelo de lenguaje|modèle de langage|sprachmodell|"
               r"modello linguistico|modelo de linguagem|taalmodel|modelu językowego|chatbot)\b", _I),
    re.compile(r"\b(?:если ты|если вы|якщо ти|si eres|si usted es|si tu es|si vous êtes|wenn du|falls du|"
               r"wenn sie|se sei|se você é|se és|als je|als u|jeśli jesteś|eğer bir)\s+(?:\w+\s+){0,2}?"
               r"(?:ИИ|ШІ|ии|IA|KI|AI|SI|assistant|assistente|asistente|ассистент\w*|языков\w+ модел\w+|"
               r"нейросет\w+|chatbot|sprachmodell|taalmodel|yapay zeka\w*)\b", _I),
    re.compile(r"(?:给|給|致|对|對)(?:AI|ai|人工智能|助手|语言模型|語言模型|大模型|机器人|機器人|模型)"
               r"(?:助手|助理)?(?:的(?:提示|说明|說明|指令|注意|消息|訊息|备注|備註|话|話|留言|信息|资讯)|[：:，,])"),
    re.compile(r"(?:AI|人工智能|助手|语言模型|語言模型)(?:请|請)?注意|如果你是(?:一个|一個)?(?:AI|人工智能|"
               r"语言模型|語言模型|助手|大模型|聊天机器人|聊天機器人)"),
    re.compile(r"(?:AI|人工知能|アシスタント|言語モデル)(?:への|に|へ)(?:の)?(?:指示|注意|メッセージ|メモ|お願い)"
               r"|もしあなたが(?:AI|人工知能|言語モデル|アシスタント)"),
    re.compile(r"(?:AI|인공지능|어시스턴트|언어 ?모델)(?:에게|한테|를 위한)"
               r"\s*(?:메모|지시|참고|알림|전하는|:)"
               r"|(?:만약\s*)?당신이\s*(?:AI|인공지능|언어 ?모델)(?:이)?라면"),
    re.compile(r"\b(?:yapay zek[aâ]\w*|asistan\w*)\s+(?:için\s+)?not\b|"
               r"(?:ملاحظة|رسالة|تعليمات)\s+(?:إلى|لـ|ل)\s?(?:الذكاء الاصطناعي|المساعد|النموذج)", _I),
]

CHECKS = {"ignore": IGNORE, "answer_with": ANSWER, "role": ROLE, "address": ADDRESS}
"""Patterns by the code `agent.guard` reports."""
