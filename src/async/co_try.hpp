// ASPEN_CO_TRY: ASPEN_TRY for coroutines (layer: async), which must co_return instead of return.
#pragma once

#define ASPEN_CO_TRY(expr)                                                  \
  do {                                                                      \
    auto&& aspen_co_status_ = (expr);                                       \
    if (!aspen_co_status_.ok()) co_return aspen_co_status_.error();         \
  } while (0)
