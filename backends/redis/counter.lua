-- Bounded increment of one counter, run atomically by the server.
-- KEYS[1] is the counter, ARGV[1] the max (a positive integer).
-- Reply: the INCR reply as is, or one of the status replies LIMIT,
-- NOT_INTEGER, OVERFLOW, in which case the counter is left unchanged.

-- int64 reports whether s is written the way INCR accepts it: an optional
-- minus, no leading zero, no sign on zero, and within the int64 range.
local function int64(s)
  if s == '0' then
    return true
  end
  local minus, digits = string.match(s, '^(%-?)([1-9]%d*)$')
  if digits == nil then
    return false
  end
  if #digits ~= 19 then
    return #digits < 19
  end
  if minus == '-' then
    return digits <= '9223372036854775808'
  end
  return digits <= '9223372036854775807'
end

local stored = redis.pcall('GET', KEYS[1])
if type(stored) == 'table' then
  return stored -- an error reply, such as WRONGTYPE
end

local current = 0
if stored then
  if not int64(stored) then
    return redis.status_reply('NOT_INTEGER')
  end
  current = tonumber(stored)
end

-- Lua numbers are doubles. The comparison is still exact: max is at most
-- 2^53, so every value below max converts without rounding.
if current >= tonumber(ARGV[1]) then
  return redis.status_reply('LIMIT')
end

local after = redis.pcall('INCR', KEYS[1])
if type(after) == 'table' and after.err then
  if string.find(after.err, 'overflow', 1, true) then
    return redis.status_reply('OVERFLOW')
  end
  if string.find(after.err, 'not an integer', 1, true) then
    return redis.status_reply('NOT_INTEGER')
  end
  return after
end

-- The INCR reply reaches Lua as a double, exact only within 2^53. Only a
-- counter far below zero gets past that; read it back as a string instead.
if after <= -9007199254740992 then
  return redis.call('GET', KEYS[1])
end
return after
