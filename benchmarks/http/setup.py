"""Creates the benchmark merchant and N live cards (Luhn-valid numbers that are
not sandbox cards) through the API; prints the live key, writes the payment
method ids one per line to the file given."""
import http.client
import json
import sys
import threading
from urllib.parse import urlparse

base, admin, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
address = urlparse(base)
local = threading.local()


def call(path, key, body):
    # One keep-alive connection per thread.
    if not hasattr(local, "connection"):
        local.connection = http.client.HTTPConnection(address.hostname, address.port)
    local.connection.request("POST", path, body=json.dumps(body),
                             headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    return json.loads(local.connection.getresponse().read())


def luhn_complete(prefix):
    digits = [int(d) for d in prefix]
    for check in range(10):
        total = 0
        for index, digit in enumerate(reversed(digits + [check])):
            if index % 2 == 1:
                digit *= 2
                if digit > 9:
                    digit -= 9
            total += digit
        if total % 10 == 0:
            return prefix + str(check)


merchant = call("/v1/merchants", admin, {"name": "Bench", "country": "DE", "currency": "EUR",
                                         "payout_account": {"iban": "DE89370400440532013000"}})
key = merchant["live_secret_key"]
ids = [None] * count


def make(start, step):
    for index in range(start, count, step):
        number = luhn_complete("555555" + str(100000000 + index))
        ids[index] = call("/v1/payment_methods", key, {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}})["id"]


threads = [threading.Thread(target=make, args=(start, 8)) for start in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(out, "w") as file:
    file.write("\n".join(ids) + "\n")
print(key)
