#!/usr/bin/env python3
"""Writes the guard's labelled corpus (positive.tsv, negative.tsv) from the
hand-written cases below. Numbers with a checksum (cards, IBANs) are built
here so that every positive passes its check and every near miss fails it.

Each line of a .tsv file is TYPES<TAB>TEXT. TYPES lists the finding types the
text holds, one entry per finding (repeats count), or '-' for none. In TEXT,
\\n is a newline, \\t a tab and \\u{XXXX} the character U+XXXX.
Run: python3 tests/data/guard/gen_corpus.py (from the repository root)."""
import os, random

random.seed(20261207)
HERE = os.path.dirname(os.path.abspath(__file__))

def luhn_digit(body):
    s = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9: d -= 9
        s += d
    return str((10 - s % 10) % 10)

def card(prefix, length):
    body = prefix + ''.join(random.choice('0123456789') for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)

def bad_card(prefix, length):
    c = card(prefix, length)
    last = int(c[-1])
    return c[:-1] + str((last + 1 + random.randrange(8)) % 10)

def group(num, sizes, sep):
    out, i = [], 0
    for s in sizes:
        out.append(num[i:i + s]); i += s
    if i < len(num): out.append(num[i:])
    return sep.join(out)

def four(num, sep):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))

IBAN_LEN = {'DE': 22, 'GB': 22, 'FR': 27, 'ES': 24, 'IT': 27, 'NL': 18, 'BE': 16, 'CH': 21, 'AT': 20,
            'PL': 28, 'SE': 24, 'NO': 15, 'DK': 18, 'FI': 18, 'IE': 22, 'PT': 25, 'LU': 20, 'CZ': 24,
            'HU': 28, 'RO': 24, 'GR': 27, 'SA': 24, 'AE': 23, 'TR': 26, 'BR': 29, 'MT': 31, 'LC': 32, 'RU': 33}

def iban_check(cc, bban):
    s = bban + cc + '00'
    n = int(''.join(str(int(ch, 36)) for ch in s))
    return '%02d' % (98 - n % 97)

def iban(cc, letters=0):
    n = IBAN_LEN[cc] - 4
    bban = ''.join(random.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(letters))
    bban += ''.join(random.choice('0123456789') for _ in range(n - letters))
    return cc + iban_check(cc, bban) + bban

def bad_iban(cc):
    good = iban(cc)
    last = int(good[-1])
    return good[:-1] + str((last + 1 + random.randrange(8)) % 10)

pos = []
def P(types, text): pos.append((types, text))
neg = []
def N(text): neg.append(('-', text))

# ---- e-mail
for t in ["Write to john.doe@example.com for access.",
          "Contact: jane+newsletter@mail.example.co.uk",
          "reply-to: <support@acme-corp.io>",
          "Send the report to r.smith42@research.example.org, then wait.",
          "mailto:info@example.net",
          "\"owner\": \"alice_b@example.com\"",
          "CC bob@sub.domain.example.com; dave@example.com",
          "Écrivez à marie.curie@exemple.fr avant lundi.",
          "Bitte an hans.mueller@beispiel.de schicken.",
          "Escriba a soporte@ejemplo.es por favor.",
          "Напишите на ivan.petrov@example.ru сегодня.",
          "请联系 wang.wei@example.cn 获取详情。",
          "連絡先: tanaka@example.jp",
          "USER@EXAMPLE.COM is upper case",
          "12345@numbers.example.com works too",
          "first.last-name@hyphen-domain.example",
          "(see admin@example.museum)",
          "x@example.io",
          "o'brien style is rare but test.user%route@example.com exists",
          "Email:someone@example.org,next",
          "The address ops-team@company.example.com was paged at 3am.",
          "ping me at dev.null+spam@example.dev!",
          "Customer: m.rossi@esempio.it — ordine 4471",
          "support@xn--bcher-kva.example",
          "A list: a.b@example.com b.c@example.com",
          "From: \"Jane Doe\" <jane.doe@corp.example.com>",
          "email=lead@startup.example.ai&utm=x",
          "Forward to noreply@notifications.example.com.",
          "Kontakt: anna.kowalska@przyklad.pl",
          "Mail ana.silva@exemplo.com.br para mais.",
          "git commit --author='Dev <dev@example.com>'",
          "owner: kim.minjun@example.kr",
          "[contact](mailto:press@example.com)",
          "Reply to sales@example.co",
          "user.name@example.travel",
          ]:
    P(','.join(['email'] * t.count('@')), t)

# ---- phones
for t in ["Call +1 (415) 555-2671 tomorrow.",
          "Office: (415) 555-2671",
          "Mobile 415-555-2671",
          "Fax 415.555.2671",
          "US 1-800-555-0199 toll free",
          "+1 212 555 0148",
          "+12125550148",
          "London +44 20 7946 0958",
          "UK mobile 07700 900123",
          "020 7946 0958 is the switchboard",
          "+44 (0)20 7946 0958",
          "Paris +33 1 23 45 67 89",
          "Appelez le 01 23 45 67 89 après 9h.",
          "portable 06 12 34 56 78",
          "Berlin +49 30 12345678",
          "Rufen Sie 030 12345678 an.",
          "Handy +49 151 12345678",
          "Amsterdam +31 20 123 4567",
          "bel 06-12345678",
          "Madrid +34 912 345 678",
          "Roma +39 06 1234 5678",
          "Tokyo +81 3-1234-5678",
          "Sydney +61 2 9876 5432",
          "Mumbai +91 98765 43210",
          "São Paulo +55 11 91234-5678",
          "Mexico +52 55 1234 5678",
          "international 0044 20 7946 0958",
          "Zürich +41 44 668 18 00",
          "Wien +43 1 234567890",
          "tel: +1-202-555-0143",
          "Reach me on (212) 555-0187 or +1 646 555 0123.",
          "Helpline 0800 123 4567",
          "Москва +7 495 123-45-67",
          "Seoul +82 2-312-3456",
          "call (646) 555-3890 ext. 12",
          "+353 1 234 5678 Dublin",
          "+4915112345678",
          "Oslo +47 22 12 34 56",
          ]:
    n = t.count('+') if t.count('+') > 1 else 1
    if "or +1" in t: n = 2
    P(','.join(['phone'] * n), t)

# ---- payment cards
brands = [('4', 16), ('4', 13), ('4', 19), ('51', 16), ('55', 16), ('2221', 16), ('2720', 16), ('34', 15),
          ('37', 15), ('6011', 16), ('65', 16), ('644', 16), ('36', 14), ('3528', 16), ('3589', 16), ('62', 16),
          ('6304', 16), ('5018', 16)]
forms = ['Card {}', 'card number: {}', 'Pay with {} now', 'CC {} exp 12/27', '{}', 'Kartennummer {}',
         'numéro de carte {}.', 'tarjeta {} caduca']
k = 0
for prefix, length in brands:
    for rep in range(2):
        c = card(prefix, length)
        if length == 16 and rep == 0:
            s = four(c, ' ')
        elif length == 16:
            s = four(c, '-')
        elif length == 15 and rep == 0:
            s = group(c, [4, 6, 5], ' ')
        elif length == 14 and rep == 0:
            s = group(c, [4, 6, 4], ' ')
        else:
            s = c
        P('payment_card', forms[k % len(forms)].format(s))
        k += 1

# ---- IBAN
for cc in IBAN_LEN:
    letters = 4 if cc in ('GB', 'IE', 'NL', 'MT', 'LC') else 0
    v = iban(cc, letters)
    P('iban', 'IBAN %s' % four(v, ' '))
    if cc in ('DE', 'FR', 'GB', 'ES', 'IT', 'CH', 'BE', 'PL'):
        P('iban', 'Überweisung an %s bitte.' % v if cc == 'DE' else 'account %s.' % v)
P('iban', 'IBAN: DE89 3704 0044 0532 0130 00')
P('iban', 'GB82WEST12345698765432')

# ---- SSN
for t in ["SSN 123-45-6789", "Social Security Number: 219-09-9998", "ssn: 078-05-1121", "her SSN is 536-90-4399.",
          "employee 001-01-0001 record", "SSN 123 45 6789", "ssn 123456780", "social security no. 457 55 5462",
          "Applicant SSN: 665-12-3456", "(SSN 899-99-9999)", "tax id 521-44-9876 on the W-2",
          "SSN:772-11-2233", "The form lists 234-56-7890 as the SSN."]:
    P('us_ssn', t)

# ---- IP addresses
for t in ["Server at 192.168.1.10 is down.", "ping 10.0.0.1", "gateway 172.16.254.1", "8.8.8.8 and 1.1.1.1",
          "listen 0.0.0.0:8080", "host=203.0.113.195;", "from 198.51.100.7,", "(255.255.255.255)",
          "Client IP: 100.64.12.3", "127.0.0.1 localhost", "route via 169.254.169.254"]:
    P(','.join(['ipv4'] * (2 if ' and ' in t else 1)), t)
for t in ["IPv6 2001:db8::1", "addr 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "fe80::1ff:fe23:4567:890a",
          "loopback ::1", "[2001:db8::8a2e:370:7334]:443", "mapped ::ffff:192.0.2.128", "2606:4700:4700::1111",
          "ip6 2001:db8:0:0:1:0:0:1", "link fe80::a00:27ff:fe4e:66a1 up", "dns 2001:4860:4860::8888",
          "net 2001:db8:abcd:12::/64"]:
    P('ipv6', t)

# ---- AWS keys and API tokens
P('aws_access_key_id,aws_secret_key', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
P('aws_access_key_id,aws_secret_key', '[default]\\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY')
P('aws_access_key_id', 'key id AKIAJ7Q2EXAMPLE3F4G5 in the log')
P('aws_access_key_id', 'temporary ASIAZ5EXAMPLE7KEYID2 expires soon')
P('aws_secret_key', '"SecretAccessKey": "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"')
P('aws_access_key_id,aws_secret_key', '{"AccessKeyId": "ASIAQWERTYUIOPASDF12", "SecretAccessKey": "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z+/A"}')
P('aws_access_key_id', 'export AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986')
for t in ["OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
          "key: sk-abcdefghij1234567890ABCDEFGHIJ",
          "Authorization: Bearer sk-svcacct-9f8E7d6C5b4A3z2Y1x0W",
          "ANTHROPIC_API_KEY=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeF",
          "use sk-ant-admin01-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2 for admin",
          "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
          "GITHUB_TOKEN=gho_16C7e42F292c6912E7710c838347Ae178B4a",
          "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
          "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
          "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJhdXRoIn0.c2lnbmF0dXJl",
          "stripe sk_live_51HxYzAbCdEfGhIjKlMnOp12",
          "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
          "slack xoxb-1234567890-abcdefghijKLMN",
          "google AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
          "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
          "rk_live_51AbCdEfGhIjKlMnOpQr34"]:
    P('api_token', t)

# ---- common examples
for t in ["test.email+alex@leetcode.com", "user_name@domain.co.in", "Email: firstname-lastname@example.com"]:
    P('email', t)
for t in ["(212) 555-1234", "212.555.1234", "+1-212-555-1234", "+1 212.555.1234", "1 (212) 555-1234",
          "+61 2 1234 5678", "+49 (0) 30 1234567", "+33 (0)1 23 45 67 89", "Tel: 020-7123-4567",
          "Phone: 555.123.4567", "call me at 415 555 2671", "555-123-4567", "123-456-7890"]:
    P('phone', t)
for t in ["3714-496353-98431", '"card":"4111111111111111"', "Visa test card 4000 0000 0000 0002",
          "MC 5105 1051 0510 5100", "Diners 3056 930902 5904"]:
    P('payment_card', t)
for t in ["GB29 NWBK 6016 1331 9268 19", "NL91 ABNA 0417 1643 00", "CH93 0076 2011 6238 5295 7",
          "FR76 3000 6000 0112 3456 7890 189"]:
    P('iban', t)
P('ipv6', 'prefix 2001:db8:: routed')
P('ipv4', 'my ip is 10.1.2.3.')
P('us_ssn', 'SSN#123456789')

# ---- lines with several
P('email,phone', 'John Doe, john@example.com, +1 415 555 2671')
P('email,payment_card', 'billing@example.com paid with ' + four(card('4', 16), ' '))
P('iban,email', 'Refund %s to claims@example.eu' % four(iban('FR'), ' '))
P('ipv4,email', 'login from 192.0.2.44 by root@example.org')
P('us_ssn,phone', 'SSN 321-54-9876, phone (312) 555-0110')
P('api_token,email', 'sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDf owner ml@example.ai')

# ---- hidden text
P('zero_width', 'pass\\u{200B}word')
P('zero_width,zero_width', 'a\\u{200C}b\\u{200D}c')
P('zero_width', 'word\\u{2060}joiner')
P('zero_width', '\\u{FEFF}mid text bom')
P('bidi_control', 'file\\u{202E}txt.exe')
P('bidi_control,bidi_control', 'isolate \\u{2066}hidden\\u{2069} end')
P('bidi_control,bidi_control', 'mark\\u{200E} and\\u{200F} marks')
P('unicode_tags', 'Nice weather\\u{E0049}\\u{E0067}\\u{E006E}\\u{E006F}\\u{E0072}\\u{E0065}')
P('unicode_tags', 'Summary:\\u{E0001}\\u{E0073}\\u{E0065}\\u{E006E}\\u{E0064}\\u{E007F} done')
P('email,zero_width', 'jo\\u{200B}hn@example.com')
P('payment_card,zero_width', '4111 1111\\u{200B} 1111 1111')
P('aws_access_key_id,zero_width,zero_width,zero_width', 'AKIA\\u{200B}IOSFODNN\\u{200B}7EXAMPLE: a key split by invisible characters, and \\u{200D}\\u{200B}\\u{200D}')

# ---- near misses (negative)
for prefix, length in brands[:12]:
    c = bad_card(prefix, length)
    N('Card ' + (four(c, ' ') if length == 16 else c) + ' declined')
    N('ref ' + bad_card(prefix, length))
N('order 1234 5678 9012 3456')
N('counter 0000 0000 0000 0000')
N('tracking 1Z999AA10123456784')
for cc in ['DE', 'GB', 'FR', 'ES', 'IT', 'NL', 'CH', 'PL', 'SE', 'NO', 'BE', 'AT']:
    b = bad_iban(cc)
    N('IBAN ' + four(b, ' ') + ' (typo)')
    N('account ' + b)
N('IBAN DE89 3704 0044 0532 0130')
N('XX89370400440532013000 unknown country')
N('DE00370400440532013000 zero check digits')
for s in ['000-12-3456', '666-12-3456', '900-12-3456', '987-65-4321', '123-00-4567', '123-45-0000',
          '078-05-1120', '219-09-9999', '999-99-9999']:
    N('SSN %s is not valid' % s)
N('ISBN 978-3-16-148410-0')
N('Order #123456789 shipped')
N('zip 90210-1234')
N('phone 555-1234')
N('part no. 12-345-6789')
for t in ['https://user@host.example.com/path', 'https://medium.com/@jane.doe/my-post',
          'git+ssh://git@github.com/org/repo.git', 'https://cdn.example.com/npm/lodash@4.17.21/lodash.min.js',
          'ftp://anonymous@ftp.example.org/pub', 'https://admin:secret@db.example.com:5432/app',
          'http://example.com/redirect?to=https://x@y.example.com',
          'Follow @example on social media', 'user@localhost', 'a@b', 'foo@bar.c', 'name@domain.123',
          'npm install @scope/package@1.2.3', 'email me at john at example dot com',
          'decorator @property and @staticmethod', 'matrix A@B means product']:
    N(t)
N('AKIAIOSFODNN7\\nEXAMPLE split across lines')
N('AKIAIOSFODNN7EXAMPL short by one')
N('AKIA is a prefix of AWS key ids')
N('sk-proj-abc\\n123DEF456ghi789JKL012 split')
N('ghp_aBcDeFgHiJkLmNoP\\nqRsTuVwXyZ0123456789 split')
N('eyJhbGciOiJIUzI1NiJ9\\n.eyJzdWIiOiIxIn0.sig split')
N('scikit-learn is imported as sk-learn by nobody')
N('the task-force met the desk-top team')
N('sk-this-is-not-a-real-key-at-all')
N('ghp_short')
N('eyJustKidding is not a token')
N('commit 3f786850e387550fdab836ed7e6dc881de23001b')
N('sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
N('base64 dGhpcyBpcyBhIHRlc3Qgc3RyaW5nIGZvciBiYXNlNjQ=')
N('uuid 123e4567-e89b-12d3-a456-426614174000')
for t in ['version 1.0.0.1', 'see section 2.3.1.4', 'Release 10.2.0.1 notes', 'version 1.2.3.4.5', 'v10.0.19041.1', '256.100.50.25', 'release 1.2.3', '192.168.01.1',
          '1.2.3.999', 'section 4.2.1', 'pi is 3.14159', 'Python 3.11.4']:
    N(t)
for t in ['std::vector<int> v;', 'Vec::<u8>::new()', 'a::b::c()', 'MAC 00:1a:2b:3c:4d:5e', 'time 12:30:45',
          'ratio 16:9', 'at 10:30', 'Note: see below', 'key:value:pair', 'dead:beef', 'cafe::', 'C:\\\\Users\\\\x']:
    N(t)
for t in ['2024-01-15', '15/01/2024', '01.02.2024', '2024-01-15T12:30:45Z', 'years 2023 2024 2025',
          '1 2 3 4 5 6 7 8 9', 'Price: +15.5%', 'ext. 1234', 'room 101', '+1', 'code +33', '(555) 123',
          'Total 1,234,567.89 EUR', 'call 911', '123 456', 'score 10-12', 'pages 123-456', '0.5 0.25 0.125',
          'temperature 0.7 top_p 0.9', 'PIN 1234', '1 234 567 habitants', '12 345 678 901', '0 800 123 456',
          'ts 1700000000 and 1700000000123', 'ISBN 978 0 306 40615 7', 'color #ff0000',
          'coords 48.8566, 2.3522', 'Chrome 120.0.6099.109', 'port 8080', 'id 4111', 'batch 20240115-0042',
          'Invoice 2024/00123', 'Population 8 000 000 000', 'ref 0123', 'page 0012 of 0340']:
    N(t)

# ---- clean text in several languages (negative)
clean = [
 "The model answered the question about drift in three sentences.",
 "Retrieval-augmented generation combines search with a language model.",
 "We measured latency, tokens per second and cost for each provider.",
 "Le chat dort sur le canapé pendant que la pluie tombe.",
 "Nous avons comparé les réponses de plusieurs modèles de langue.",
 "Où est la bibliothèque ? Elle est fermée le dimanche.",
 "Der schnelle braune Fuchs springt über den faulen Hund.",
 "Die Ergebnisse der Auswertung sind überraschend gut ausgefallen.",
 "Größe, Straße und Übung sind typische deutsche Wörter.",
 "El rápido zorro marrón salta sobre el perro perezoso.",
 "¿Dónde está la estación de tren? Está a dos calles.",
 "La inteligencia artificial está cambiando el mundo.",
 "Il gatto dorme sul divano mentre piove.",
 "A inteligência artificial está mudando o mundo rapidamente.",
 "Быстрая коричневая лиса прыгает через ленивую собаку.",
 "Модель ответила на вопрос о дрейфе данных.",
 "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
 "快速的棕色狐狸跳过了懒狗。",
 "这个模型在三个测试中表现良好。",
 "素早い茶色の狐がのろまな犬を飛び越える。",
 "このモデルは質問に三文で答えました。",
 "빠른 갈색 여우가 게으른 개를 뛰어넘는다.",
 "الثعلب البني السريع يقفز فوق الكلب الكسول.",
 "השועל החום המהיר קופץ מעל הכלב העצלן.",
 "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
 "Hızlı kahverengi tilki tembel köpeğin üzerinden atlar.",
 "Szybki brązowy lis przeskakuje nad leniwym psem.",
 "Nopea ruskea kettu hyppää laiskan koiran yli.",
 "Den snabba bruna räven hoppar över den lata hunden.",
 "Con cáo nâu nhanh nhẹn nhảy qua con chó lười.",
 "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ",
 "Meeting notes: discuss the roadmap, assign owners, review risks.",
 "He said “yes” — and then, after a pause… he left.",
 "Bullet points • one • two • three",
 "Emoji are fine: 😀 🚀 👍 ❤️ 🇫🇷",
 "Math: x² + y² = z², ∑ i = n(n+1)/2, α β γ",
 "Prices: €12.50, £9.99, ¥1200, $5",
 "Use the --max-tokens flag to cap the answer length.",
 "SELECT name, score FROM results WHERE score > 0.8 ORDER BY score DESC;",
 "def add(a, b):\\n    return a + b",
 "for (int i = 0; i < 10; i++) { sum += i; }",
 "The year 1999 was followed by 2000 and then 2001.",
 "Chapter 12, verse 7, page 350.",
 "In 2023 the team grew from 12 to 45 people.",
 "The recipe needs 2 eggs, 250 g flour and 1 l milk.",
 "Temperature rose by 3.5 degrees over 10 years.",
 "Set top_p to 0.95 and temperature to 0.2 for stable output.",
 "Our office is on the 4th floor, room 412.",
 "RFC 7231 defines HTTP/1.1 semantics.",
 "The error code E1234 means the file was not found.",
 "Use markdown: **bold**, _italic_, `code`.",
 "A haiku: old pond / frog jumps in / sound of water",
 "Les résultats : 95 % de précision et 90 % de rappel.",
 "Die Sitzung beginnt um 14 Uhr im Raum 3.",
 "La reunión es el lunes a las 10 de la mañana.",
 "Встреча начнётся в 15:00 по московскому времени.",
 "会议将在下午三点开始。",
 "Stars: ★★★☆☆ rating",
 "Arrows → ← ↑ ↓ and check ✓ marks",
 "Quote: «Bonjour», „Hallo“, ‘hi’",
 "Sanskrit: सत्यमेव जयते",
 "Tamil: யாதும் ஊரே யாவரும் கேளிர்",
 "Georgian: ქართული ენა",
 "Armenian: Հայերեն լեզու",
 "Amharic: ሰላም ለዓለም",
 "Ukrainian: Швидка бура лисиця",
 "Czech: Příliš žluťoučký kůň úpěl ďábelské ódy.",
 "Hungarian: Árvíztűrő tükörfúrógép",
 "Romanian: Înțelepciunea și știința",
 "Icelandic: Þetta er íslenska.",
 "Dutch: De snelle bruine vos springt over de luie hond.",
 "Danish: Den hurtige brune ræv hopper over den dovne hund.",
 "Norwegian: Rask brun rev hopper over den late hunden.",
 "Indonesian: Rubah cokelat cepat melompati anjing malas.",
 "Swahili: Mbweha mwepesi wa kahawia anaruka juu ya mbwa mvivu.",
 "Catalan: La guineu marró salta sobre el gos mandrós.",
 "Latin: Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
 "Transformers use attention: softmax(QK^T / sqrt(d)) V.",
 "Cosine similarity between the vectors was 0.87.",
 "The batch size was 32 and the learning rate 3e-4.",
 "Epoch 5/10: loss 0.234, accuracy 0.912",
 "Kubernetes pods restarted 3 times in 24 hours.",
 "HTTP 429 means too many requests; retry after a delay.",
 "The ISO date format is YYYY-MM-DD.",
 "Contact the help desk through the internal portal.",
 "Send an email to the team alias (no address here).",
 "Call the front desk from any room phone.",
 "Your card was charged successfully.",
 "Enter your IBAN in the payment form.",
 "Never share your social security number.",
 "The IP address field is optional.",
 "Rotate your access keys every 90 days.",
 "API tokens are stored in the secrets manager.",
 "JSON Web Tokens have three parts separated by dots.",
 "Use C++ namespaces like std and boost.",
 "The ratio was roughly 3 to 2.",
 "This sentence has a soft line\\nbreak inside it.",
 "Tabs\\tseparate\\tcolumns\\there.",
 "Version two of the API is stable.",
 "Hash tags like #ml and #ai trend weekly.",
 "Mentions like @alice and @bob notify users.",
 "A plus b equals c: a+b=c",
 "Parentheses (like these) are fine.",
 "Colons: everywhere: in: text",
 "Numbers: 1, 22, 333, 4444, 55555, 666666, 7777777",
 "Words starting with s: see, sky, skill, skate, sketch",
 "Words starting with g: ghost, ghoul, github, ghee",
 "Words starting with e: eye, eyes, eyJ is not here",
 "All caps: THE QUICK BROWN FOX AKIA ASIA DE GB FR",
 "Country codes DE, GB and FR appear in many texts.",
 "Room DE12 and gate GB34 are in terminal 2.",
]
for t in clean:
    N(t)

def write(name, rows):
    with open(os.path.join(HERE, name), 'w', encoding='utf-8') as f:
        f.write('# generated by gen_corpus.py; TYPES<TAB>TEXT, see gen_corpus.py\n')
        for types, text in rows:
            assert '\t' not in text
            f.write('%s\t%s\n' % (types, text))

write('positive.tsv', pos)
write('negative.tsv', neg)
print(len(pos), 'positive lines,', len(neg), 'negative lines')
