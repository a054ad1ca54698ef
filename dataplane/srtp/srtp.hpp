#pragma once
// sbc::srtp: RFC 3711 SRTP/SRTCP framing (with RFC 6188 AES-256 and RFC 7714 AES-GCM) over plain
// buffers, and the crypto engines (intel-ipsec-mb batched fast path, libsrtp2 reference).

#include "dataplane/srtp/common.hpp"
#include "dataplane/srtp/engine.hpp"
#include "dataplane/srtp/key_set.hpp"
#include "dataplane/srtp/master_key.hpp"
#include "dataplane/srtp/status.hpp"
#include "dataplane/srtp/stream.hpp"
#include "dataplane/srtp/suite.hpp"
