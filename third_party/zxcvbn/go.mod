module github.com/trustelem/zxcvbn

go 1.21
