-- wrk: POST /v1/charges (authorize + capture) with a random one of the
-- benchmark's cards per request; KEY and PM_FILE come from the environment.
local ids = {}
for line in io.lines(os.getenv("PM_FILE")) do ids[#ids + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
function request()
  local n = math.random(1, 1000000)
  local body = '{"amount": ' .. (500 + n % 5000) .. ', "currency": "EUR", "payment_method": "' .. ids[math.random(1, #ids)] ..
    '", "customer": "cus_' .. n .. '", "ip": "81.' .. (n % 250 + 1) .. '.' .. (math.floor(n / 250) % 250 + 1) .. '.9", "email": "c' .. n .. '@shop.example"}'
  return wrk.format(nil, nil, nil, body)
end
function delay()
  return delay_ms
end
