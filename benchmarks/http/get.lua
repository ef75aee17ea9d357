-- wrk: plain GET; DELAY_MS (optional) spaces each connection's requests.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
function delay()
  return delay_ms
end
