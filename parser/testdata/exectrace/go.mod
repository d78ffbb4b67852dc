module exectrace

go 1.17
