-- mona:createMediaWriter(format): FLV by default, MPEG-TS for "mp2t";
-- writer:write(track, time, packet) returns container bytes ("" for none).

local function u32(n)
	return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
local function pid(s, at) return (s:byte(at + 1) % 32) * 256 + s:byte(at + 2) end

local sps = string.char(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x01, 0x40)
local pps = string.char(0x68, 0xce, 0x3c, 0x80)
local avcConfig = string.char(0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, #sps) .. sps
	.. string.char(1, 0, #pps) .. pps
local idr = string.char(0x65) .. string.rep("\136", 999)
local keyframe = string.char(0x17, 1, 0, 0, 0) .. u32(#idr) .. idr
local aacConfig = string.char(0xaf, 0, 0x12, 0x10) -- AAC LC 44.1 kHz stereo
local aacFrame = string.char(0xaf, 1) .. string.rep("\33", 100)

-- FLV: header with the first tag, then tags.
local flv = mona:createMediaWriter("flv")
assert(tostring(flv):find("MediaWriter"), tostring(flv))
local s = flv:write(2, 0, avcConfig)
eq(s:sub(1, 3), "FLV", "signature")
eq(s:byte(4), 1, "version")
eq(s:byte(5), 5, "audio and video flags")
eq(#s, 13 + 11 + #avcConfig + 4, "header, tag, previous tag size")
eq(s:byte(14), 9, "video tag")
local a = flv:write(1, 0x1234567, aacFrame)
eq(#a, 11 + #aacFrame + 4, "header written once")
eq(a:byte(1), 8, "audio tag")
eq(string.char(a:byte(5, 8)), string.char(0x23, 0x45, 0x67, 0x01), "timestamp with its extended byte")
eq(a:sub(12, 11 + #aacFrame), aacFrame, "body")
eq(flv:write(3, 0, aacFrame), "", "unknown track: skipped")
eq(flv:write(1, 0, ""), "", "empty packet: skipped")
eq(mona:createMediaWriter():write(1, 0, aacFrame):sub(1, 3), "FLV", "FLV by default")
eq(mona.createMediaWriter("mp4"):write(1, 0, aacFrame):sub(1, 3), "FLV", "FLV for other formats")

-- MPEG-TS: configurations are kept, frames become 188-byte packets.
local ts = mona:createMediaWriter("mp2t")
eq(ts:write(2, 0, avcConfig), "", "AVC config: no output")
eq(ts:write(1, 0, aacConfig), "", "AAC config: no output")
local v = ts:write(2, 40, keyframe)
eq(#v % 188, 0, "whole packets")
for i = 1, #v, 188 do eq(v:byte(i), 0x47, "sync byte of packet " .. (i - 1) / 188) end
eq(pid(v, 1), 0, "PAT first")
eq(pid(v, 189), 0x1000, "PMT second")
eq(pid(v, 377), 0x100, "video third")
assert(v:find(string.char(0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1) .. sps, 1, true), "AUD then SPS in Annex B")
local au = ts:write(1, 50, aacFrame)
eq(#au, 188, "one audio packet")
eq(pid(au, 1), 0x101, "audio PID")
assert(au:find(string.char(0xff, 0xf1, 0x50, 0x80), 1, true), "ADTS header")
eq(ts:write(2, 60, string.char(0x22, 0, 0, 0, 0)), "", "Sorenson: skipped")
eq(ts:write(1, 60, string.char(0xb2, 1)), "", "Speex: skipped")
eq(ts:write(2, 60, string.char(0x27, 1, 0, 0, 0, 0, 0, 0, 9)), "", "truncated NAL unit: skipped")
local MP2T = mona:createMediaWriter("MP2T")
eq(MP2T:write(1, 0, string.char(0x2f, 0xff, 0xfb, 0x90, 0x64)):byte(1), 0x47, "format is case-insensitive")

fails(function() ts:write("audio", 0, aacFrame) end, "number expected")
fails(function() ts:write(1, 0) end, "string expected")
fails(function() ts.write(flv_nope, 1, 0, "") end, "MediaWriter expected")
