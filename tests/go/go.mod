module httptrace/tests/go

go 1.19
