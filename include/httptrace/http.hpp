#pragma once
// Everything public in one include.

#include "httptrace/body.hpp"
#include "httptrace/client.hpp"
#include "httptrace/conn.hpp"
#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/event_loop.hpp"
#include "httptrace/header.hpp"
#include "httptrace/ip_address.hpp"
#include "httptrace/json.hpp"
#include "httptrace/request.hpp"
#include "httptrace/resolver.hpp"
#include "httptrace/response.hpp"
#include "httptrace/timeline.hpp"
#include "httptrace/trace.hpp"
#include "httptrace/transport.hpp"
#include "httptrace/url.hpp"
