-- wrk: POST a JSON body with a bearer key; BODY and KEY come from the environment.
-- "N" in BODY becomes a random number per request, "OCTET" a number 1-250: each
-- request has its own card, customer, e-mail and IP, as real traffic does (one card
-- for every request would measure one counter key's lock, not the engine). DELAY_MS (optional)
-- spaces each connection's requests, to hold a lower rate.
local template = os.getenv("BODY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
function request()
  local n = math.random(1, 1000000)
  local body = string.gsub(string.gsub(template, "OCTET", tostring(n % 250 + 1)), "N", tostring(n))
  return wrk.format(nil, nil, nil, body)
end
function delay()
  return delay_ms
end
