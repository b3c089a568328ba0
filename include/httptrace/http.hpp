#pragma once
// Everything public in one include.

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"
#include "httptrace/ip_address.hpp"
#include "httptrace/trace.hpp"
